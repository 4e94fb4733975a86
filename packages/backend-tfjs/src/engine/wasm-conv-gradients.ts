import * as tf from '@tensorflow/tfjs';
import { asKernel, kernelOutput, wrap, type KernelArgs } from './wasm-kernel-io.js';

/**
 * The convolution gradients tfjs-backend-wasm 4.22 lacks, registered for it from kernels it has, so
 * that convolutional networks train on wasm instead of the pure-JS cpu engine:
 * - `Conv2DBackpropFilter`: the filter gradient is the input's windows (im2col: one strided slice
 *   per kernel tap, side by side) times the output gradient, one matrix product;
 * - `DepthwiseConv2dNativeBackpropFilter`: the same windows times the output gradient channel by
 *   channel, summed over the batch and positions;
 * - `DepthwiseConv2dNativeBackpropInput`: a transposed depthwise convolution, i.e. a depthwise
 *   convolution of the output gradient (spread by the stride, padded to a full correlation) with the
 *   spatially flipped filter.
 * And `MaxPoolGrad` in place of wasm's own (see {@link maxPoolGradient}).
 * Channels-last (NHWC) and undilated only, as headstart's layers and tfjs's gradients run them. `wasm-conv-gradients.test.ts` checks each
 * against the cpu engine's own kernel.
 */
export const WASM_CONV_GRADIENTS: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: asKernel(conv2dFilterGradient) },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: asKernel(depthwiseFilterGradient) },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: asKernel(depthwiseInputGradient) },
];

/** Kernels tfjs-backend-wasm has but gets wrong, replaced by ours. */
export const WASM_REPLACED_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: asKernel(maxPoolGradient) },
];

/**
 * Register {@link WASM_CONV_GRADIENTS} for each kernel the wasm engine does not have yet, and
 * {@link WASM_REPLACED_KERNELS} in place of its own. Call after the wasm backend loaded; again is harmless.
 */
export function registerWasmConvGradients(): void {
  for (const config of WASM_CONV_GRADIENTS) if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  for (const config of WASM_REPLACED_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface FilterGradientAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
  filterShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW' | undefined;
  dilations?: [number, number] | number | undefined;
}

interface PoolGradientAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
}

interface InputGradientAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
  inputShape: [number, number, number, number];
  dilations: [number, number] | number;
}

function conv2dFilterGradient({ inputs, backend, attrs }: KernelArgs<'x' | 'dy', FilterGradientAttrs>): tf.TensorInfo {
  channelsLast('Conv2DBackpropFilter', attrs.dataFormat);
  const info = convInfo(inputs.x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const { top, left } = info.padInfo;
  const [spanH, spanW] = [(info.outHeight - 1) * info.strideHeight + 1, (info.outWidth - 1) * info.strideWidth + 1];
  return kernelOutput(backend, () => {
    // dW[i, j, c, o] = Σ_{b, h, w} x[b, h·s + i, w·s + j, c] · dy[b, h, w, o]: a convolution over the
    // batch, of x with channels as its batch, by dy as the filter, the stride becoming the dilation.
    const channelsFirst = tf.transpose(wrap(backend, inputs.x), [3, 1, 2, 0]) as tf.Tensor4D;
    const reach = padOrCrop(
      channelsFirst,
      [top, spanH + info.filterHeight - 1 - top - info.inHeight],
      [left, spanW + info.filterWidth - 1 - left - info.inWidth],
    );
    const taps = tf.transpose(wrap(backend, inputs.dy), [1, 2, 0, 3]) as tf.Tensor4D;
    const grad = tf.conv2d(reach, taps, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

function depthwiseFilterGradient({ inputs, backend, attrs }: KernelArgs<'x' | 'dy', FilterGradientAttrs>): tf.TensorInfo {
  undilated('DepthwiseConv2dNativeBackpropFilter', attrs.dilations);
  const info = convInfo(inputs.x.shape, attrs.filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, channels, multiplier] = attrs.filterShape;
  return kernelOutput(backend, () => {
    const windows = tf.reshape(windowsOf(wrap(backend, inputs.x), info), [-1, kh * kw, channels, 1]);
    const dy = tf.reshape(wrap(backend, inputs.dy), [-1, 1, channels, multiplier]);
    return tf.reshape(tf.sum(tf.mul(windows, dy), 0), attrs.filterShape);
  });
}

function depthwiseInputGradient({ inputs, backend, attrs }: KernelArgs<'dy' | 'filter', InputGradientAttrs>): tf.TensorInfo {
  undilated('DepthwiseConv2dNativeBackpropInput', attrs.dilations);
  const filterShape = inputs.filter.shape as [number, number, number, number];
  const info = convInfo(attrs.inputShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, channels, multiplier] = filterShape;
  const { top, left } = info.padInfo;
  const [reachH, reachW] = [(kh - 1) * info.dilationHeight, (kw - 1) * info.dilationWidth];
  return kernelOutput(backend, () => {
    const spread = spreadByStride(wrap(backend, inputs.dy) as tf.Tensor4D, info.strideHeight, info.strideWidth);
    const [spreadH, spreadW] = [spread.shape[1], spread.shape[2]];
    // A full correlation: out[h] = Σ_i dy'[h + top - i·d] · w[i], taps flipped so it runs forwards.
    const padded = padOrCrop(spread, [reachH - top, info.inHeight + top - spreadH], [reachW - left, info.inWidth + left - spreadW]);
    const flipped = tf.reverse(wrap(backend, inputs.filter), [0, 1]) as tf.Tensor4D;
    const dilations: [number, number] = [info.dilationHeight, info.dilationWidth];
    if (multiplier === 1) return tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', dilations);
    // Output channel c·M + m comes from input channel c alone: one convolution per m, summed.
    const perChannel = tf.reshape(padded, [...padded.shape.slice(0, 3), channels, multiplier]);
    const parts = Array.from({ length: multiplier }, (_, m) => {
      const slice = tf.reshape(tf.slice(perChannel, [0, 0, 0, 0, m], [-1, -1, -1, -1, 1]), padded.shape.slice(0, 3).concat(channels));
      const taps = tf.slice(flipped, [0, 0, 0, m], [kh, kw, channels, 1]);
      return tf.depthwiseConv2d(slice as tf.Tensor4D, taps as tf.Tensor4D, 1, 'valid', 'NHWC', dilations);
    });
    return tf.addN(parts);
  });
}

/**
 * Max pooling's gradient: each window's output gradient goes to the first input (row by row) that
 * holds the window's maximum, pads never, as the cpu engine does. Replaces tfjs-backend-wasm 4.22's
 * own, which sends it elsewhere when a window's values are all negative.
 */
function maxPoolGradient({ inputs, backend, attrs }: KernelArgs<'dy' | 'input' | 'output', PoolGradientAttrs>): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(
    inputs.input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, left, bottom, right } = info.padInfo;
  const tiled = info.strideHeight === info.filterHeight && info.strideWidth === info.filterWidth && !(top || left || bottom || right);
  return kernelOutput(backend, () => {
    const [x, y, dy] = [wrap(backend, inputs.input), wrap(backend, inputs.output), wrap(backend, inputs.dy)];
    if (tiled) return tiledMaxPoolGradient(x as tf.Tensor4D, y, dy, info);
    const taps = tapsOf(x, info, Number.NEGATIVE_INFINITY);
    const spanH = (info.outHeight - 1) * info.strideHeight + 1;
    const spanW = (info.outWidth - 1) * info.strideWidth + 1;
    const paddedH = Math.max(top + info.inHeight, spanH + info.filterHeight - 1);
    const paddedW = Math.max(left + info.inWidth, spanW + info.filterWidth - 1);
    let taken: tf.Tensor = tf.zerosLike(dy);
    const parts = taps.map((tap, t) => {
      const [i, j] = [Math.floor(t / info.filterWidth), t % info.filterWidth];
      const first = tf.mul(tf.cast(tf.equal(tap, y), 'float32'), tf.sub(1, taken));
      taken = tf.add(taken, first);
      const spread = spreadByStride(tf.mul(dy, first) as tf.Tensor4D, info.strideHeight, info.strideWidth);
      return tf.pad(spread, [
        [0, 0],
        [i, paddedH - i - spanH],
        [j, paddedW - j - spanW],
        [0, 0],
      ]);
    });
    const whole = parts.length === 1 ? parts[0]! : tf.addN(parts);
    return tf.slice(whole, [0, top, left, 0], inputs.input.shape);
  });
}

/**
 * {@link maxPoolGradient} when windows tile the input (stride = window, no pads): the output and its
 * gradient repeated over their windows, the first maximum of each found by scoring maxima by their
 * reverse position in the window and max-pooling the scores. Same-shape ops only: wasm's broadcasting
 * comparisons are slow.
 */
function tiledMaxPoolGradient(x: tf.Tensor4D, y: tf.Tensor, dy: tf.Tensor, info: tf.backend_util.Conv2DInfo): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const [kh, kw, oh, ow] = [info.filterHeight, info.filterWidth, info.outHeight, info.outWidth];
  // Rows and columns past the last window get no gradient: crop them now, pad them back at the end.
  const covered = oh * kh === h && ow * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [b, oh * kh, ow * kw, c]);
  const repeat = (t: tf.Tensor): tf.Tensor => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [oh * kh, ow * kw]);
  const isMax = tf.cast(tf.equal(covered, repeat(y)), 'float32');
  const rank = tf.tensor(
    Array.from({ length: oh * kh * ow * kw }, (_, i) => kh * kw - (Math.floor(i / (ow * kw)) % kh) * kw - ((i % (ow * kw)) % kw)),
    [1, oh * kh, ow * kw, 1],
  );
  const score = tf.mul(isMax, rank) as tf.Tensor4D;
  const first = tf.cast(tf.equal(score, repeat(tf.maxPool(score, [kh, kw], [kh, kw], 'valid'))), 'float32');
  const spread = tf.mul(first, repeat(dy));
  return covered === x
    ? spread
    : tf.pad(spread, [
        [0, 0],
        [0, h - oh * kh],
        [0, w - ow * kw],
        [0, 0],
      ]);
}

function convInfo(
  xShape: number[],
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  dilations: [number, number] | number,
  pad: Pad,
  rounding: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    rounding,
    depthwise,
    'channelsLast',
  );
}

/** `[batch, outH, outW, kh·kw·channels]`: for each output position, the input values under each kernel tap. */
function windowsOf(x: tf.Tensor, info: tf.backend_util.Conv2DInfo): tf.Tensor {
  const taps = tapsOf(x, info, 0);
  return taps.length === 1 ? taps[0]! : tf.concat(taps, 3);
}

/** Per kernel tap, row by row, `[batch, outH, outW, channels]`: the input value under it at each output position, pads read as `padValue`. */
function tapsOf(x: tf.Tensor, info: tf.backend_util.Conv2DInfo, padValue: number): tf.Tensor[] {
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const [spanH, spanW] = [(info.outHeight - 1) * sh + 1, (info.outWidth - 1) * sw + 1];
  // Pads beyond the last window are never read: pad only as far as the windows reach.
  const bottom = Math.max(0, spanH + (info.filterHeight - 1) * dh - top - info.inHeight);
  const right = Math.max(0, spanW + (info.filterWidth - 1) * dw - left - info.inWidth);
  const padded =
    top || bottom || left || right
      ? tf.pad(
          x,
          [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          padValue,
        )
      : x;
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < info.filterHeight; i++)
    for (let j = 0; j < info.filterWidth; j++)
      taps.push(
        tf.stridedSlice(padded, [0, i * dh, j * dw, 0], [info.batchSize, i * dh + spanH, j * dw + spanW, info.inChannels], [1, sh, sw, 1]),
      );
  return taps;
}

/** `dy` with stride − 1 zeros between its rows and between its columns: `[b, (h−1)·sh+1, (w−1)·sw+1, c]`. */
function spreadByStride(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, h, w, c] = dy.shape;
  const gaps = tf.pad(tf.reshape(dy, [b * h, 1, w, 1, c]), [
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.slice(tf.reshape(gaps, [b, h * sh, w * sw, c]), [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

/** Pad rows and columns by `[before, after]` each; a negative amount crops instead. */
function padOrCrop(t: tf.Tensor4D, rows: [number, number], cols: [number, number]): tf.Tensor4D {
  const grow = (n: number): number => Math.max(0, n);
  const padded =
    rows.some((n) => n > 0) || cols.some((n) => n > 0)
      ? tf.pad(t, [
          [0, 0],
          [grow(rows[0]), grow(rows[1])],
          [grow(cols[0]), grow(cols[1])],
          [0, 0],
        ])
      : t;
  if (rows.every((n) => n >= 0) && cols.every((n) => n >= 0)) return padded;
  const [b, h, w, c] = padded.shape;
  const cut = (n: number): number => Math.max(0, -n);
  return tf.slice(padded, [0, cut(rows[0]), cut(cols[0]), 0], [b, h - cut(rows[0]) - cut(rows[1]), w - cut(cols[0]) - cut(cols[1]), c]);
}

/** tfjs differentiates only undilated depthwise convolutions; anything else is refused, not guessed. */
function undilated(kernel: string, dilations: [number, number] | number | undefined): void {
  const [dh, dw] = typeof dilations === 'number' || dilations === undefined ? [dilations ?? 1, dilations ?? 1] : dilations;
  if (dh !== 1 || dw !== 1) throw new Error(`tfjs wasm ${kernel}: dilations other than 1 are not supported`);
}

function channelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat === 'NCHW') throw new Error(`tfjs wasm ${kernel}: only channels-last (NHWC) data is supported`);
}
