import { int, ints, type Attributes } from '../../onnx/attributes.js';
import type { Dim, GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import type { ConvForm } from './conv-form.js';
import { depthwiseMatrices, fitsChannelMatrices } from './depthwise-matrices.js';
import { moveTaps } from './move-taps.js';
import { pixelGemm } from './pixel-gemm.js';
import { fitsMapGemm, smallMapGemm } from './small-map-gemm.js';
import { transposeAttributes, type WindowGeometry } from './window-geometry.js';

/**
 * 2-D convolution of an NCHW input with an ONNX-layout kernel `[out, in / groups, kh, kw]`, output
 * channels in `groups` consecutive blocks each seeing its block of input channels (depthwise when
 * `groups` is the input channels). Gradients: the input's as a `Conv` of dY with the flipped kernel
 * when the convolution has stride 1 (see {@link convInputGradient}), otherwise through ConvTranspose with
 * the same kernel and groups; the kernel's as an im2col GEMM (see {@link convKernelGradient}), or for a depthwise
 * kernel tap by tap at stride 1 (see {@link depthwiseTapsKernelGradient}), else one grouped Conv. In training graphs, kernel taps that only ever meet padding are cut first (see
 * {@link usedTaps}), a depthwise convolution on a small map runs as per-channel matrices (see
 * {@link depthwiseMatrices}), a pointwise one on a 1×1 map as Gemms (see {@link pixelGemm}) and another plain one on a
 * small map as one Gemm over the batch (see {@link smallMapGemm}).
 */
export function conv2d(
  ctx: EmitContext,
  x: string,
  kernel: string,
  bias: string | undefined,
  geometry: WindowGeometry,
  groups = 1,
): string {
  const { b } = ctx;
  const [n] = b.shapeOf(x);
  const [filters] = b.shapeOf(kernel) as [number];
  // Only training graphs: exported and inference graphs keep the plain Conv of the layer.
  const taps = ctx.tape ? usedTaps(geometry) : undefined;
  const used = taps ? sliceTaps(b, kernel, taps) : kernel;
  const g = taps?.geometry ?? geometry;
  const form = ctx.tape ? otherForm(b, x, used, g, groups) : undefined;
  const y = form
    ? withBias(b, form.y, bias)
    : b.op('Conv', bias === undefined ? [x, used] : [x, used, bias], convAttributes(g, groups), [n!, filters, ...g.output], 'conv');
  ctx.tape?.record({
    op: 'Conv',
    inputs: bias === undefined ? [x, kernel] : [x, kernel, bias],
    outputs: [y],
    backward: (gb, [dY], needs) => [
      needs[0] ? (form?.inputGradient(gb, dY!) ?? convInputGradient(gb, dY!, used, g, b.shapeOf(x), groups)) : undefined,
      needs[1]
        ? padTaps(gb, form?.kernelGradient(gb, dY!) ?? kernelGradient(gb, x, dY!, g, gb.shapeOf(used), groups), taps, b.shapeOf(kernel))
        : undefined,
      needs[2] ? gb.op('ReduceSum', [dY!, gb.int64s([0, 2, 3])], { keepdims: int(0) }, [filters], 'dbias') : undefined,
    ],
  });
  return y;
}

/** Convolutions that run cheaper as other ops than onnxruntime's Conv and its gradients. */
function otherForm(b: GraphBuilder, x: string, kernel: string, g: WindowGeometry, groups: number): ConvForm | undefined {
  if (isDepthwise(b, kernel, groups) && fitsChannelMatrices(g)) return depthwiseMatrices(b, x, kernel, g);
  if (groups === 1 && isPointwise(g) && g.input[0] * g.input[1] === 1) return pixelGemm(b, x, kernel);
  if (groups === 1 && fitsMapGemm(g)) return smallMapGemm(b, x, kernel, g);
  return undefined;
}

/** `y` plus a per-channel bias, when there is one. */
function withBias(b: GraphBuilder, y: string, bias: string | undefined): string {
  if (bias === undefined) return y;
  const [c] = b.shapeOf(bias) as [number];
  return b.binary('Add', y, b.op('Reshape', [bias, b.int64s([1, c, 1, 1])], {}, [1, c, 1, 1], 'bias_c11'));
}

/** The kernel rows and columns a convolution applies to real input, when some only ever meet padding. */
interface UsedTaps {
  /** First and last kernel row, first and last column that touch the input. */
  rows: [number, number];
  cols: [number, number];
  /** The same convolution with the kernel cut to those taps. */
  geometry: WindowGeometry;
}

/**
 * Kernel taps that only ever multiply padding contribute nothing: on resnet18's 1×1 maps (32×32
 * inputs), a 3×3 conv with padding 1 uses its centre alone, and onnxruntime would compute all nine
 * taps (forward, input and kernel gradient). Returns the convolution cut to the taps in use, or
 * undefined when every tap meets the input.
 */
export function usedTaps(geometry: WindowGeometry): UsedTaps | undefined {
  const axis = (a: 0 | 1): { range: [number, number]; begin: number; end: number } | undefined => {
    const [k, s, h, ho, begin] = [geometry.kernel[a], geometry.strides[a], geometry.input[a], geometry.output[a], geometry.pads[a]];
    const used = Array.from({ length: k }, (_, i) => i).filter((i) =>
      Array.from({ length: ho }, (_, y) => y * s + i - begin).some((at) => at >= 0 && at < h),
    );
    if (used.length === 0) return undefined;
    const [first, last] = [used[0]!, used.at(-1)!];
    const cut = last - first + 1;
    const newBegin = begin - first;
    const newEnd = Math.max(0, (ho - 1) * s + cut - h - newBegin);
    if (newBegin < 0 || Math.floor((h + newBegin + newEnd - cut) / s) + 1 !== ho) return undefined;
    return { range: [first, last], begin: newBegin, end: newEnd };
  };
  const [rows, cols] = [axis(0), axis(1)];
  if (!rows || !cols) return undefined;
  if (rows.range[1] - rows.range[0] + 1 === geometry.kernel[0] && cols.range[1] - cols.range[0] + 1 === geometry.kernel[1])
    return undefined;
  return {
    rows: rows.range,
    cols: cols.range,
    geometry: {
      ...geometry,
      kernel: [rows.range[1] - rows.range[0] + 1, cols.range[1] - cols.range[0] + 1],
      pads: [rows.begin, cols.begin, rows.end, cols.end],
    },
  };
}

/** The kernel cut to the taps in use (see {@link moveTaps}). */
function sliceTaps(b: GraphBuilder, kernel: string, taps: UsedTaps): string {
  const [[r0, r1], [c0, c1]] = [taps.rows, taps.cols];
  const inside = (i: number, j: number): boolean => i >= r0 && i <= r1 && j >= c0 && j <= c1;
  return moveTaps(b, kernel, [r1 - r0 + 1, c1 - c0 + 1], (i, j) => (inside(i, j) ? [i - r0, j - c0] : undefined), 'conv_taps');
}

/** The cut kernel's gradient in the full kernel's shape: zero for the taps that only meet padding. */
function padTaps(b: GraphBuilder, dKernel: string, taps: UsedTaps | undefined, kernelShape: Dim[]): string {
  if (!taps) return dKernel;
  const [, , kh, kw] = kernelShape as [number, number, number, number];
  const [r0, c0] = [taps.rows[0], taps.cols[0]];
  return moveTaps(b, dKernel, [kh, kw], (i, j) => [i + r0, j + c0], 'dconv_w_taps');
}

/** A convolution kernel's gradient, by the cheapest formulation for its grouping. */
export function kernelGradient(
  b: GraphBuilder,
  x: string,
  dY: string,
  geometry: WindowGeometry,
  kernelShape: Dim[],
  groups: number,
): string {
  if (groups === 1) return convKernelGradient(b, x, dY, geometry, kernelShape);
  if (kernelShape[1] === 1 && kernelShape[0] === groups && geometry.strides.every((s) => s === 1))
    return depthwiseTapsKernelGradient(b, x, dY, geometry, kernelShape);
  if (kernelShape[1] === 1) return depthwiseKernelGradient(b, x, dY, geometry, kernelShape, groups);
  return groupedKernelGradient(b, x, dY, geometry, kernelShape, groups);
}

function convAttributes(g: WindowGeometry, groups: number): Attributes {
  return { kernel_shape: ints(g.kernel), strides: ints(g.strides), pads: ints(g.pads), ...(groups > 1 ? { group: int(groups) } : {}) };
}

/**
 * dX of a convolution: a `Conv` of dY for pointwise and other stride-1 convolutions (plain or depthwise),
 * which onnxruntime runs without ConvTranspose's col2im pass; ConvTranspose for strided or other grouped ones.
 */
export function convInputGradient(
  b: GraphBuilder,
  dY: string,
  kernel: string,
  geometry: WindowGeometry,
  xShape: Dim[],
  groups: number,
): string {
  if (groups === 1 && isPointwise(geometry)) return pointwiseInputGradient(b, dY, kernel, xShape);
  if ((groups === 1 || isDepthwise(b, kernel, groups)) && flippedPads(geometry))
    return flippedInputGradient(b, dY, kernel, geometry, xShape, groups);
  const { pads, outputPadding } = transposeAttributes(geometry);
  const attributes: Attributes = {
    kernel_shape: ints(geometry.kernel),
    strides: ints(geometry.strides),
    pads: ints(pads),
    output_padding: ints(outputPadding),
    ...(groups > 1 ? { group: int(groups) } : {}),
  };
  return b.op('ConvTranspose', [dY, kernel], attributes, xShape, 'dconv_x');
}

/** A 1×1 convolution with stride 1 and no padding: each output pixel is a matrix product of its input pixel. */
function isPointwise(g: WindowGeometry): boolean {
  return g.kernel.every((k) => k === 1) && g.strides.every((s) => s === 1) && g.pads.every((p) => p === 0);
}

/**
 * A pointwise convolution's input gradient as a `Conv` of dY with the transposed kernel `[C, O, 1, 1]`:
 * the same products as `ConvTranspose`, without its col2im pass (up to 2× faster on mobilenet_v2's shapes).
 */
function pointwiseInputGradient(b: GraphBuilder, dY: string, kernel: string, xShape: Dim[]): string {
  const [o, c] = b.shapeOf(kernel) as [number, number];
  const transposed = b.op('Transpose', [kernel], { perm: ints([1, 0, 2, 3]) }, [c, o, 1, 1], 'w_t');
  return b.op('Conv', [dY, transposed], { kernel_shape: ints([1, 1]) }, xShape, 'dconv_x');
}

/** A depthwise kernel `[C, 1, kh, kw]`: one filter per input channel. */
function isDepthwise(b: GraphBuilder, kernel: string, groups: number): boolean {
  const [o, perGroup] = b.shapeOf(kernel);
  return groups > 1 && perGroup === 1 && o === groups;
}

/**
 * The pads of the stride-1 `Conv` with the flipped kernel that equals the input gradient (`k − 1 − pad`
 * each side), or undefined when the convolution is strided or pads by a kernel or more.
 */
function flippedPads(g: WindowGeometry): number[] | undefined {
  if (g.strides.some((s) => s !== 1)) return undefined;
  const pads = g.pads.map((p, i) => g.kernel[i % 2]! - 1 - p);
  return pads.every((p) => p >= 0) ? pads : undefined;
}

/**
 * A stride-1 convolution's input gradient as a `Conv` of dY with the kernel turned by 180° (and, when
 * not depthwise, its in and out channels swapped): the same sums as `ConvTranspose` without its col2im
 * pass — depthwise on onnxruntime's depthwise kernel instead of a GEMM per channel. Per node, on
 * resnet18's and mobilenet_v2's shapes, 1–40 % less CPU.
 */
function flippedInputGradient(b: GraphBuilder, dY: string, kernel: string, g: WindowGeometry, xShape: Dim[], groups: number): string {
  const [o, perGroup, kh, kw] = b.shapeOf(kernel) as [number, number, number, number];
  const swapped = groups === 1 ? b.op('Transpose', [kernel], { perm: ints([1, 0, 2, 3]) }, [perGroup, o, kh, kw], 'w_t') : kernel;
  const flipped = moveTaps(b, swapped, [kh, kw], (i, j) => [kh - 1 - i, kw - 1 - j], 'w_flip');
  const attributes: Attributes = {
    kernel_shape: ints(g.kernel),
    pads: ints(flippedPads(g)!),
    ...(groups > 1 ? { group: int(groups) } : {}),
  };
  return b.op('Conv', [dY, flipped], attributes, xShape, 'dconv_x');
}

/** The input transposed to `[C, N, H, W]` and zero-padded as the convolution pads it. */
function paddedChannelsFirst(b: GraphBuilder, x: string, geometry: WindowGeometry, c: number): string {
  const [pt, pl, pb, pr] = geometry.pads;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, 'N', ...geometry.input], 'x_t');
  if (pt + pl + pb + pr === 0) return xT;
  const padded = [geometry.input[0] + pt + pb, geometry.input[1] + pl + pr];
  return b.op('Pad', [xT, b.int64s([0, 0, pt, pl, 0, 0, pb, pr])], {}, [c, 'N', ...padded], 'x_pad');
}

/**
 * dW[o, c, i, j] = Σ_{n,y,x} dY[n, o, y, x] · X[n, c, y·s + i, x·s + j], as one GEMM: the input's
 * shifted windows are gathered with one strided Slice per kernel position (an im2col in ONNX ops)
 * and contracted with the output gradient over samples and positions. ORT's own Conv would do this
 * with a huge kernel and nine output positions, several times slower. The windows are stacked
 * channel-major (`[C, kh·kw, …]`), so the GEMM's `[O, C·kh·kw]` already is the ONNX kernel layout:
 * no transpose of the (large) kernel gradient.
 */
function convKernelGradient(b: GraphBuilder, x: string, dY: string, geometry: WindowGeometry, kernelShape: Dim[]): string {
  const [o, c, kh, kw] = kernelShape as [number, number, number, number];
  const [ho, wo] = geometry.output;
  const [sh, sw] = geometry.strides;
  const xT = paddedChannelsFirst(b, x, geometry, c);
  const [, , hp, wp] = b.shapeOf(xT) as [number, 'N', number, number];
  const perChannel = b.op('Reshape', [xT, b.int64s([c, 1, -1, hp, wp])], {}, [c, 1, 'N', hp, wp], 'x_channels');
  const windows: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1]), b.int64s([3, 4]), b.int64s([sh, sw])];
      windows.push(b.op('Slice', [perChannel, ...bounds], {}, [c, 1, 'N', ho, wo], 'x_window'));
    }
  }
  const stacked = windows.length === 1 ? windows[0]! : b.op('Concat', windows, { axis: int(1) }, [c, kh * kw, 'N', ho, wo], 'x_windows');
  const patches = b.op('Reshape', [stacked, b.int64s([c * kh * kw, -1])], {}, [c * kh * kw, 'N'], 'patches');
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [o, 'N', ho, wo], 'dy_t');
  const dYFlat = b.op('Reshape', [dYT, b.int64s([o, -1])], {}, [o, 'N'], 'dy_flat');
  const dW = b.op('Gemm', [dYFlat, patches], { transB: int(1) }, [o, c * kh * kw], 'dconv_w_flat');
  return b.op('Reshape', [dW, b.int64s([o, c, kh, kw])], {}, [o, c, kh, kw], 'dconv_w');
}

/**
 * The kernel gradient of a depthwise convolution (one input channel per group, any multiplier) as one
 * grouped `Conv`: dW[o, 0, i, j] = Σ_{n,y,x} dY[n, o, y, x] · X[n, o / m, y·s + i, x·s + j] (m outputs
 * per channel) is the correlation of each channel's `N` padded input planes with the output gradient's
 * `N` planes of its outputs, summed over the samples — a convolution whose batch is 1, whose input
 * channels are the input's (channel, sample) pairs, whose kernel is dY with samples as its input
 * channels, the stride as its dilation, in `C` groups. Its output is the kernel, `[O, kh, kw]` (cropped
 * when the input has rows or columns beyond the last window that the end pads cannot drop). One node (and two activation transposes) where the im2col form took nine
 * strided Slices, a Pad, a Concat and a batched MatMul: 1.2–4.5× less CPU on mobilenet_v2's layers.
 */
function depthwiseKernelGradient(
  b: GraphBuilder,
  x: string,
  dY: string,
  geometry: WindowGeometry,
  kernelShape: Dim[],
  groups: number,
): string {
  const [o, , kh, kw] = kernelShape as [number, number, number, number];
  const [h, w] = geometry.input;
  const [ho, wo] = geometry.output;
  const [sh, sw] = geometry.strides;
  const [pt, pl, pb, pr] = geometry.pads;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [groups, 'N', h, w], 'x_t');
  const planes = b.op('Reshape', [xT, b.int64s([1, -1, h, w])], {}, [1, 'N', h, w], 'x_planes');
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [o, 'N', ho, wo], 'dy_t');
  // Rows and columns past the last window (stride leftovers) are dropped from the end pads where they fall there.
  const [extraH, extraW] = [h + pt + pb - (ho - 1) * sh - kh, w + pl + pr - (wo - 1) * sw - kw];
  const [endH, endW] = [Math.max(0, pb - extraH), Math.max(0, pr - extraW)];
  const [kh2, kw2] = [h + pt + endH - (ho - 1) * sh, w + pl + endW - (wo - 1) * sw];
  const attributes = { group: int(groups), pads: ints([pt, pl, endH, endW]), dilations: ints([sh, sw]), kernel_shape: ints([ho, wo]) };
  let dW = b.op('Conv', [planes, dYT], attributes, [1, o, kh2, kw2], 'dconv_w_full');
  if (kh2 !== kh || kw2 !== kw)
    dW = b.op('Slice', [dW, b.int64s([0, 0]), b.int64s([kh, kw]), b.int64s([2, 3])], {}, [1, o, kh, kw], 'dconv_w_crop');
  return b.op('Reshape', [dW, b.int64s([o, 1, kh, kw])], {}, [o, 1, kh, kw], 'dconv_w');
}

/**
 * A stride-1 depthwise kernel's gradient tap by tap: dW[c, 0, i, j] = Σ_{n,y,x} dY[n, c, y, x] · X[n, c, y + i, x + j]
 * (X padded) as a Slice of the padded input, a Mul by dY and a ReduceSum over N, H, W per tap, in NCHW (no transposes).
 */
function depthwiseTapsKernelGradient(b: GraphBuilder, x: string, dY: string, geometry: WindowGeometry, kernelShape: Dim[]): string {
  const [c, , kh, kw] = kernelShape as [number, number, number, number];
  const [h, w] = geometry.input;
  const [ho, wo] = geometry.output;
  const [pt, pl, pb, pr] = geometry.pads;
  const padded =
    pt + pl + pb + pr === 0 ? x : b.op('Pad', [x, b.int64s([0, 0, pt, pl, 0, 0, pb, pr])], {}, ['N', c, h + pt + pb, w + pl + pr], 'x_pad');
  const sums: string[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const window = b.op(
        'Slice',
        [padded, b.int64s([i, j]), b.int64s([i + ho, j + wo]), b.int64s([2, 3])],
        {},
        ['N', c, ho, wo],
        'x_window',
      );
      sums.push(b.op('ReduceSum', [b.binary('Mul', window, dY), b.int64s([0, 2, 3])], { keepdims: int(1) }, [1, c, 1, 1], 'dw_tap'));
    }
  const all = sums.length === 1 ? sums[0]! : b.op('Concat', sums, { axis: int(3) }, [1, c, 1, kh * kw], 'dw_taps');
  return b.op('Reshape', [all, b.int64s([c, 1, kh, kw])], {}, [c, 1, kh, kw], 'dconv_w');
}

/**
 * The kernel gradient of a grouped convolution: the im2col GEMM of {@link convKernelGradient} once per
 * group, as one batched MatMul. The padded input `[C, N, H, W]` is viewed as `[groups, C/groups, N,
 * H, W]`, so each kernel position's strided window already sits group by group and the windows join
 * along axis 1 with no copy in between: patches `[groups, kh·kw·C/groups, N·Ho·Wo]` times the output
 * gradient `[groups, N·Ho·Wo, O/groups]`.
 */
function groupedKernelGradient(
  b: GraphBuilder,
  x: string,
  dY: string,
  geometry: WindowGeometry,
  kernelShape: Dim[],
  groups: number,
): string {
  const [o, cg, kh, kw] = kernelShape as [number, number, number, number];
  const og = o / groups;
  const [ho, wo] = geometry.output;
  const [sh, sw] = geometry.strides;
  const xT = paddedChannelsFirst(b, x, geometry, cg * groups);
  const [, , hp, wp] = b.shapeOf(xT) as [number, 'N', number, number];
  const grouped = b.op('Reshape', [xT, b.int64s([groups, cg, -1, hp, wp])], {}, [groups, cg, 'N', hp, wp], 'x_groups');
  const windows: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1]), b.int64s([3, 4]), b.int64s([sh, sw])];
      windows.push(b.op('Slice', [grouped, ...bounds], {}, [groups, cg, 'N', ho, wo], 'x_window'));
    }
  }
  const k = kh * kw * cg;
  const stacked = windows.length === 1 ? windows[0]! : b.op('Concat', windows, { axis: int(1) }, [groups, k, 'N', ho, wo], 'x_windows');
  const patches = b.op('Reshape', [stacked, b.int64s([groups, k, -1])], {}, [groups, k, 'N'], 'patches');
  // dY [N, O, Ho, Wo] → [groups, N·Ho·Wo, O/groups]
  const dYGroups = b.op('Reshape', [dY, b.int64s([-1, groups, og, ho * wo])], {}, ['N', groups, og, ho * wo], 'dy_groups');
  const dYT = b.op('Transpose', [dYGroups], { perm: ints([1, 0, 3, 2]) }, [groups, 'N', ho * wo, og], 'dy_t');
  const dYFlat = b.op('Reshape', [dYT, b.int64s([groups, -1, og])], {}, [groups, 'N', og], 'dy_flat');
  const dW = b.op('MatMul', [patches, dYFlat], {}, [groups, k, og], 'dconv_w_flat');
  // [groups, kh, kw, C/groups, O/groups] → [groups, O/groups, C/groups, kh, kw] = [O, C/groups, kh, kw]
  const dWWindows = b.op('Reshape', [dW, b.int64s([groups, kh, kw, cg, og])], {}, [groups, kh, kw, cg, og], 'dconv_w_gkkco');
  const dWOnnx = b.op('Transpose', [dWWindows], { perm: ints([0, 4, 3, 1, 2]) }, [groups, og, cg, kh, kw], 'dconv_w_t');
  return b.op('Reshape', [dWOnnx, b.int64s([o, cg, kh, kw])], {}, [o, cg, kh, kw], 'dconv_w');
}
