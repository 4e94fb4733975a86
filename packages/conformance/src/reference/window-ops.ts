import { asPair, type Conv2dLayer, type Pool2dLayer } from '@headstart/core';

/** One sample's channels-last image shape. */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** Output size and padding before the first row (or column) along one axis. */
interface AxisWindow {
  out: number;
  padBefore: number;
}

/**
 * TensorFlow's padding along one axis: none for `valid`; for `same`, `ceil(size/stride)` outputs with
 * the smaller half of the padding before and any odd one after (ONNX's `SAME_UPPER`).
 */
export function axisWindow(size: number, window: number, stride: number, padding: 'valid' | 'same'): AxisWindow {
  if (padding === 'valid') return { out: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  return { out, padBefore: Math.floor(Math.max((out - 1) * stride + window - size, 0) / 2) };
}

/** 2-D convolution of `n` channels-last samples with a canonical `[kh, kw, in, out]` kernel. */
export function conv2d(
  x: Float64Array,
  n: number,
  [h, w, c]: ImageShape,
  layer: Conv2dLayer,
  kernel: Float64Array,
  bias: Float64Array | undefined,
): Float64Array {
  const [kh, kw] = asPair(layer.kernelSize);
  const [sh, sw] = asPair(layer.strides);
  const rows = axisWindow(h, kh, sh, layer.padding);
  const cols = axisWindow(w, kw, sw, layer.padding);
  const f = layer.filters;
  const out = new Float64Array(n * rows.out * cols.out * f);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let o = 0; o < f; o++) {
          let sum = bias ? bias[o]! : 0;
          for (let a = 0; a < kh; a++) {
            const y = i * sh + a - rows.padBefore;
            if (y < 0 || y >= h) continue;
            for (let b = 0; b < kw; b++) {
              const z = j * sw + b - cols.padBefore;
              if (z < 0 || z >= w) continue;
              for (let k = 0; k < c; k++) sum += x[((s * h + y) * w + z) * c + k]! * kernel[((a * kw + b) * c + k) * f + o]!;
            }
          }
          out[((s * rows.out + i) * cols.out + j) * f + o] = sum;
        }
  return out;
}

/**
 * Max or average pooling. Padding never takes part: a max ignores it, and an average divides by the
 * number of real values in its window (TensorFlow's behaviour and ONNX's default).
 */
export function pool2d(x: Float64Array, n: number, [h, w, c]: ImageShape, layer: Pool2dLayer): Float64Array {
  const [ph, pw] = asPair(layer.poolSize);
  const [sh, sw] = asPair(layer.strides ?? layer.poolSize);
  const rows = axisWindow(h, ph, sh, layer.padding);
  const cols = axisWindow(w, pw, sw, layer.padding);
  const isMax = layer.type === 'maxPool2d';
  const out = new Float64Array(n * rows.out * cols.out * c);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let k = 0; k < c; k++) {
          let acc = isMax ? -Infinity : 0;
          let count = 0;
          for (let a = 0; a < ph; a++) {
            const y = i * sh + a - rows.padBefore;
            if (y < 0 || y >= h) continue;
            for (let b = 0; b < pw; b++) {
              const z = j * sw + b - cols.padBefore;
              if (z < 0 || z >= w) continue;
              const value = x[((s * h + y) * w + z) * c + k]!;
              acc = isMax ? Math.max(acc, value) : acc + value;
              count++;
            }
          }
          out[((s * rows.out + i) * cols.out + j) * c + k] = isMax ? acc : acc / count;
        }
  return out;
}

/** Mean over height and width: `n × [h, w, c]` → `n × [c]`. */
export function globalAvgPool2d(x: Float64Array, n: number, [h, w, c]: ImageShape): Float64Array {
  const out = new Float64Array(n * c);
  for (let s = 0; s < n; s++)
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[s * c + k]! += x[(s * h * w + p) * c + k]! / (h * w);
  return out;
}
