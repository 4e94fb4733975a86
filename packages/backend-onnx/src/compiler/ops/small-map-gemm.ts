import { int, ints } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { ConvForm } from './conv-form.js';
import { tapOfPair } from './depthwise-matrices.js';
import type { WindowGeometry } from './window-geometry.js';

/** Most (input pixel, output pixel) pairs for which a plain convolution runs as one Gemm over the batch. */
export const GEMM_MAP_PAIRS = 64;

/**
 * Whether a plain (groups = 1) convolution of this geometry is cheaper as one Gemm over the batch: few pixel pairs
 * (the gathered matrix is `C·O` times their count), and at most twice the Conv's multiply-adds (the Gemm's depth per
 * output channel and pixel is `C·H·W` against the Conv's `C·kh·kw`). Per node at resnet18's shapes (batch 32, forward
 * and both gradients, median CPU ms at 1 thread; bench/README.md): `[32,256,2,2]` 3×3 18.8 → 11.5, its strided entry
 * from 4×4 7.3 → 6.2, layer4's entry (2×2 → 1×1, cut to 2×2) 2.7 → 2.0; kept as Conv: the 1×1 stride-2 downsamples
 * (16 or 4 pixels per tap: 2.6 → 5.9, 0.8 → 1.1) and layer2's 4×4 3×3 (256 pairs: 5.1 → 10.3).
 */
export function fitsMapGemm(g: WindowGeometry): boolean {
  const [pixels, outputs, taps] = [g.input[0] * g.input[1], g.output[0] * g.output[1], g.kernel[0] * g.kernel[1]];
  return pixels * outputs <= GEMM_MAP_PAIRS && pixels <= 2 * taps;
}

/**
 * A plain convolution on a small map as ONE Gemm over the batch: `Y[n, (p,o)] = Σ_(c,q) X[n, (c,q)] · W'[(c,q), (p,o)]`,
 * where `W'[c, q, p, o]` is the kernel's tap joining input pixel `q` to output pixel `p` (zero when none does),
 * gathered from the kernel as `[C, kh·kw, O]` each step. onnxruntime's Conv runs an im2col and a small GEMM per
 * sample there (resnet18's layer3 on 2×2 maps), which neither runs near MLAS's peak nor splits over threads;
 * `[32, 1024] × [1024, 1024]` does both. X in NCHW already is `[N, C·H·W]`; the output pixels lead in Y so that the
 * kernel's output channels stay contiguous in the gather, and Y (small) is transposed back to NCHW. Gradients:
 * `dX = dY·W'ᵀ`, `dW' = Xᵀ·dY` summed back onto the taps with a constant 0/1 matrix (exact sums of ≤ H·W·Ho·Wo products).
 */
export function smallMapGemm(b: GraphBuilder, x: string, kernel: string, g: WindowGeometry): ConvForm {
  const [o, c, kh, kw] = b.shapeOf(kernel) as [number, number, number, number];
  const [h, w] = g.input;
  const [ho, wo] = g.output;
  const [pixels, outputs, taps] = [h * w, ho * wo, kh * kw];
  const pairs = tapOfPair(g);
  const rows = b.op('Reshape', [x, b.int64s([-1, c * pixels])], {}, ['N', c * pixels], 'x_rows');
  const matrix = gatherTaps(b, kernel, pairs, [o, c, taps], [pixels, outputs]);
  const yRows = b.op('Gemm', [rows, matrix], {}, ['N', outputs * o], 'conv_map_rows');
  const dYRows = new Map<string, string>();
  const pixelsLast = (gb: GraphBuilder, dY: string): string => {
    if (outputs === 1) return gb.op('Reshape', [dY, gb.int64s([-1, o])], {}, ['N', o], 'dy_rows');
    const flat = gb.op('Reshape', [dY, gb.int64s([-1, o, outputs])], {}, ['N', o, outputs], 'dy_nop');
    const t = gb.op('Transpose', [flat], { perm: ints([0, 2, 1]) }, ['N', outputs, o], 'dy_npo');
    return gb.op('Reshape', [t, gb.int64s([-1, outputs * o])], {}, ['N', outputs * o], 'dy_rows');
  };
  const dYOf = (gb: GraphBuilder, dY: string): string => {
    if (!dYRows.has(dY)) dYRows.set(dY, pixelsLast(gb, dY));
    return dYRows.get(dY)!;
  };
  return {
    y: channelsFirst(b, yRows, o, outputs, [ho, wo]),
    inputGradient: (gb, dY) => {
      const dX = gb.op('Gemm', [dYOf(gb, dY), matrix], { transB: int(1) }, ['N', c * pixels], 'dconv_x_rows');
      return gb.op('Reshape', [dX, gb.int64s([-1, c, h, w])], {}, ['N', c, h, w], 'dconv_x');
    },
    kernelGradient: (gb, dY) => {
      const dM = gb.op('Gemm', [rows, dYOf(gb, dY)], { transA: int(1) }, [c * pixels, outputs * o], 'dconv_map');
      const perChannel = gb.op('Reshape', [dM, gb.int64s([c, pixels * outputs, o])], {}, [c, pixels * outputs, o], 'dconv_map_c');
      const summed = gb.op('MatMul', [tapSums(gb, pairs, taps), perChannel], {}, [c, taps, o], 'dconv_w_cto');
      const onnx = gb.op('Transpose', [summed], { perm: ints([2, 0, 1]) }, [o, c, taps], 'dconv_w_oct');
      return gb.op('Reshape', [onnx, gb.int64s([o, c, kh, kw])], {}, [o, c, kh, kw], 'dconv_w');
    },
  };
}

/** `W'` as `[C·H·W, Ho·Wo·O]`: the kernel as `[C, taps (and a zero), O]`, its taps gathered per (input, output) pixel pair. */
function gatherTaps(
  b: GraphBuilder,
  kernel: string,
  pairs: number[],
  [o, c, taps]: [number, number, number],
  [pixels, outputs]: [number, number],
): string {
  const flat = b.op('Reshape', [kernel, b.int64s([o, c, taps])], {}, [o, c, taps], 'w_oct');
  let cto = b.op('Transpose', [flat], { perm: ints([1, 2, 0]) }, [c, taps, o], 'w_cto');
  if (pairs.includes(taps)) cto = b.op('Pad', [cto, b.int64s([0, 0, 0, 0, 1, 0])], {}, [c, taps + 1, o], 'w_cto0');
  const gathered = b.op('Gather', [cto, b.int64s(pairs)], { axis: int(1) }, [c, pairs.length, o], 'w_pairs');
  return b.op('Reshape', [gathered, b.int64s([c * pixels, outputs * o])], {}, [c * pixels, outputs * o], 'w_map');
}

/** Y's `[N, Ho·Wo·O]` rows as NCHW. */
function channelsFirst(b: GraphBuilder, yRows: string, o: number, outputs: number, [ho, wo]: [number, number]): string {
  if (outputs === 1) return b.op('Reshape', [yRows, b.int64s([-1, o, 1, 1])], {}, ['N', o, 1, 1], 'conv');
  const npo = b.op('Reshape', [yRows, b.int64s([-1, outputs, o])], {}, ['N', outputs, o], 'y_npo');
  const nop = b.op('Transpose', [npo], { perm: ints([0, 2, 1]) }, ['N', o, outputs], 'y_nop');
  return b.op('Reshape', [nop, b.int64s([-1, o, ho, wo])], {}, ['N', o, ho, wo], 'conv');
}

/** The 0/1 matrix `[taps, pairs]` that sums each (input, output) pixel pair's gradient onto its tap. */
function tapSums(b: GraphBuilder, pairs: number[], taps: number): string {
  const ones = new Float32Array(taps * pairs.length);
  pairs.forEach((tap, k) => {
    if (tap < taps) ones[tap * pairs.length + k] = 1;
  });
  return b.initializer('conv_tap_sums', ones, [taps, pairs.length]);
}
