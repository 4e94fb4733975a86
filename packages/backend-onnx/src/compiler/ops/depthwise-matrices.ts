import { int, ints } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { ConvForm } from './conv-form.js';
import type { WindowGeometry } from './window-geometry.js';

/**
 * Largest input pixels × output pixels for which a depthwise convolution runs as per-channel matrices
 * (4×4 maps at stride 1). Per node at mobilenet_v2's shapes (batch 32, 1 thread, CPU ms; bench/README.md):
 * onnxruntime's grouped Conv pays per sample and channel, 2.4 → 1.2 on `[32,576,2,2]`, 1.0 → 0.33 on
 * `[32,192,4,4]`, 3.3 → 0.5 on `[32,960,1,1]`; from 8×8 maps (0.78 → 1.55 at stride 2) the Conv wins.
 */
export const MATRIX_PIXELS = 256;

/** Whether a depthwise convolution of this geometry is cheaper as per-channel matrices. */
export function fitsChannelMatrices(g: WindowGeometry): boolean {
  return g.input[0] * g.input[1] * g.output[0] * g.output[1] <= MATRIX_PIXELS;
}

/**
 * A depthwise convolution (kernel `[C, 1, kh, kw]`, multiplier 1) on a small map as one linear map per
 * channel: the kernel's taps are gathered into a `[H·W, Ho·Wo]` matrix per channel (zero where no tap
 * joins an input pixel to an output pixel), and `Y_c = X_c · M_c` is one MatMul batched over channels,
 * `[C, N, H·W] × [C, H·W, Ho·Wo]`. onnxruntime's grouped Conv runs a tiny GEMM per sample and channel
 * (18,432 of them on `[32,576,2,2]`), which is what these maps cost. Gradients: `dX_c = dY_c · M_cᵀ`,
 * and `dM_c = X_cᵀ · dY_c` summed back onto the taps with a constant 0/1 matrix (exact sums of ≤ Ho·Wo
 * products per tap).
 */
export function depthwiseMatrices(b: GraphBuilder, x: string, kernel: string, g: WindowGeometry): ConvForm {
  const [c, , kh, kw] = b.shapeOf(kernel) as [number, number, number, number];
  const [h, w] = g.input;
  const [ho, wo] = g.output;
  const [pixels, outputs] = [h * w, ho * wo];
  const taps = tapOfPair(g);
  // The scale needs the one pixel joined to the one output by a 1×1 kernel: a window that meets padding alone
  // (a pad of the kernel's size or more, a stride past the input) is a zero matrix below, not a scale.
  if (pixels === 1 && outputs === 1 && kh * kw === 1 && taps[0] === 0) return channelScale(b, x, kernel, c);
  const channelsFirst = (v: string, size: number): string =>
    b.op(
      'Transpose',
      [b.op('Reshape', [v, b.int64s([-1, c, size])], {}, ['N', c, size], 'dw_flat')],
      { perm: ints([1, 0, 2]) },
      [c, 'N', size],
      'dw_cnp',
    );
  const back = (v: string, size: number, shape: [number, number]): string =>
    b.op(
      'Reshape',
      [b.op('Transpose', [v], { perm: ints([1, 0, 2]) }, ['N', c, size], 'dw_ncp'), b.int64s([-1, c, ...shape])],
      {},
      ['N', c, ...shape],
      'dw_map',
    );
  const xT = channelsFirst(x, pixels);
  const matrix = gatherTaps(b, kernel, [c, kh * kw], taps, [c, pixels, outputs]);
  const y = back(b.op('MatMul', [xT, matrix], {}, [c, 'N', outputs], 'dw_y'), outputs, [ho, wo]);
  return {
    y,
    inputGradient: (gb, dY) => {
      const transposed = gatherTaps(gb, kernel, [c, kh * kw], transposePairs(taps, pixels, outputs), [c, outputs, pixels]);
      return back(gb.op('MatMul', [channelsFirst(dY, outputs), transposed], {}, [c, 'N', pixels], 'dconv_x_cnp'), pixels, [h, w]);
    },
    kernelGradient: (gb, dY) => {
      const xRows = gb.op('Transpose', [xT], { perm: ints([0, 2, 1]) }, [c, pixels, 'N'], 'dw_x_t');
      const dM = gb.op('MatMul', [xRows, channelsFirst(dY, outputs)], {}, [c, pixels, outputs], 'dw_dm');
      const flat = gb.op('Reshape', [dM, gb.int64s([c, pixels * outputs])], {}, [c, pixels * outputs], 'dw_dm_flat');
      const dW = gb.op('MatMul', [flat, tapSums(gb, taps, kh * kw)], {}, [c, kh * kw], 'dw_dw');
      return gb.op('Reshape', [dW, gb.int64s([c, 1, kh, kw])], {}, [c, 1, kh, kw], 'dconv_w');
    },
  };
}

/**
 * On a 1×1 map (a 1×1 kernel, or a larger one cut to its centre) the convolution scales each channel:
 * a broadcast `Mul` by the kernel as `[1, C, 1, 1]`, 6× cheaper than the batched MatMul on `[32,960,1,1]`.
 */
function channelScale(b: GraphBuilder, x: string, kernel: string, c: number): ConvForm {
  const scale = b.op('Reshape', [kernel, b.int64s([1, c, 1, 1])], {}, [1, c, 1, 1], 'dw_scale');
  return {
    y: b.binary('Mul', x, scale),
    inputGradient: (gb, dY) => gb.binary('Mul', dY, scale),
    kernelGradient: (gb, dY) => {
      const summed = gb.op('ReduceSum', [gb.binary('Mul', dY, x), gb.int64s([0])], { keepdims: int(0) }, [c, 1, 1], 'dw_dscale');
      return gb.op('Reshape', [summed, gb.int64s([c, 1, 1, 1])], {}, [c, 1, 1, 1], 'dconv_w');
    },
  };
}

/**
 * For each (input pixel, output pixel) pair, input-major, the kernel tap joining them (`row·kw + col`),
 * or `kh·kw` when none does.
 */
export function tapOfPair(g: WindowGeometry): number[] {
  const [h, w] = g.input;
  const [ho, wo] = g.output;
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [pt, pl] = g.pads;
  const none = kh * kw;
  const taps: number[] = [];
  for (let yi = 0; yi < h; yi++)
    for (let xi = 0; xi < w; xi++)
      for (let yo = 0; yo < ho; yo++)
        for (let xo = 0; xo < wo; xo++) {
          const [i, j] = [yi + pt - yo * sh, xi + pl - xo * sw];
          taps.push(i >= 0 && i < kh && j >= 0 && j < kw ? i * kw + j : none);
        }
  return taps;
}

/** The same pairs output-major. */
function transposePairs(taps: number[], pixels: number, outputs: number): number[] {
  return Array.from({ length: taps.length }, (_, k) => taps[(k % pixels) * outputs + Math.floor(k / pixels)]!);
}

/** The kernel's taps (and a zero after them) gathered into one matrix per channel. */
function gatherTaps(
  b: GraphBuilder,
  kernel: string,
  [c, taps]: [number, number],
  pairs: number[],
  shape: [number, number, number],
): string {
  const flat = b.op('Reshape', [kernel, b.int64s([c, taps])], {}, [c, taps], 'dw_taps');
  const withZero = b.op('Pad', [flat, b.int64s([0, 0, 0, 1])], {}, [c, taps + 1], 'dw_taps0');
  const gathered = b.op('Gather', [withZero, b.int64s(pairs)], { axis: int(1) }, [c, pairs.length], 'dw_pairs');
  return b.op('Reshape', [gathered, b.int64s(shape)], {}, shape, 'dw_matrix');
}

/** The 0/1 matrix `[pairs, taps]` that sums each pair's gradient onto its tap. */
function tapSums(b: GraphBuilder, taps: number[], count: number): string {
  const ones = new Float32Array(taps.length * count);
  taps.forEach((tap, k) => {
    if (tap < count) ones[k * count + tap] = 1;
  });
  return b.initializer('dw_tap_sums', ones, [taps.length, count]);
}
