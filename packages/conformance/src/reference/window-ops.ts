import { asPair, type Conv2dLayer, type Pool2dLayer } from '@headstart/core';
import { windowGeometry, type WindowPadding } from '@headstart/core/backend-kit';

/** One sample's channels-last image shape. */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** Output size and padding before the first row (or column) along one axis. */
interface AxisWindow {
  out: number;
  padBefore: number;
}

/** Core's window geometry (valid, same or explicit pads), as one window per axis. */
function windows(
  input: [number, number],
  window: number | [number, number],
  strides: number | [number, number],
  padding: WindowPadding,
): [AxisWindow, AxisWindow] {
  const g = windowGeometry(input, window, strides, padding);
  return [
    { out: g.output[0], padBefore: g.pads[0] },
    { out: g.output[1], padBefore: g.pads[1] },
  ];
}

/**
 * 2-D convolution of `n` channels-last samples with a canonical `[kh, kw, in / groups, out]` kernel:
 * output channel `o` of group `o / (out / groups)` sees that group's input channels.
 */
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
  const [rows, cols] = windows([h, w], layer.kernelSize, layer.strides, layer.padding);
  const f = layer.filters;
  const groups = layer.groups ?? 1;
  const cg = c / groups;
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
              const first = Math.floor(o / (f / groups)) * cg;
              for (let k = 0; k < cg; k++) sum += x[((s * h + y) * w + z) * c + first + k]! * kernel[((a * kw + b) * cg + k) * f + o]!;
            }
          }
          out[((s * rows.out + i) * cols.out + j) * f + o] = sum;
        }
  return out;
}

/**
 * Max or average pooling. A max ignores padding; an average divides by the number of real values in
 * its window (TensorFlow's behaviour and ONNX's default), or by the whole window, pads included,
 * with `countIncludePad` (PyTorch's default; its windows never reach past the pads).
 */
export function pool2d(x: Float64Array, n: number, [h, w, c]: ImageShape, layer: Pool2dLayer): Float64Array {
  const [ph, pw] = asPair(layer.poolSize);
  const [sh, sw] = asPair(layer.strides ?? layer.poolSize);
  const [rows, cols] = windows([h, w], layer.poolSize, layer.strides ?? layer.poolSize, layer.padding);
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
          out[((s * rows.out + i) * cols.out + j) * c + k] = isMax ? acc : acc / (layer.countIncludePad ? ph * pw : count);
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
