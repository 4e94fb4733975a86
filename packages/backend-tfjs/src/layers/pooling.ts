import { asPair, type GlobalAvgPool2dLayer, type Pool2dLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { LayerForward } from './forward-types.js';

/**
 * Max or average pooling over NHWC input. Average pooling with `same` padding divides by the number
 * of real (unpadded) values in each window, as TensorFlow and ONNX's default do.
 */
export function pool2dLayer(layer: Pool2dLayer): LayerForward {
  const poolSize = asPair(layer.poolSize);
  const strides = asPair(layer.strides ?? layer.poolSize);
  if (layer.type === 'avgPool2d' && layer.padding === 'same') return (x) => avgPoolSame(x as tf.Tensor4D, poolSize, strides);
  const pool = layer.type === 'maxPool2d' ? tf.maxPool : tf.avgPool;
  return (x) => pool(x as tf.Tensor4D, poolSize, strides, layer.padding);
}

/**
 * `same` average pooling spelled out as zero padding, a `valid` average and a per-window correction
 * `window / real values`. tf.avgPool's own `same` forward is right, but its gradient (AvgPoolGrad on
 * the cpu engine) divides by the whole window at the edges, so training would drift from the forward.
 */
function avgPoolSame(x: tf.Tensor4D, poolSize: [number, number], strides: [number, number]): tf.Tensor {
  const [, h, w] = x.shape;
  const rows = samePadding(h, poolSize[0], strides[0]);
  const cols = samePadding(w, poolSize[1], strides[1]);
  const padded = tf.pad(x, [
    [0, 0],
    [rows.before, rows.after],
    [cols.before, cols.after],
    [0, 0],
  ]);
  const mean = tf.avgPool(padded, poolSize, strides, 'valid');
  const correction = new Float32Array(rows.counts.length * cols.counts.length);
  rows.counts.forEach((r, i) =>
    cols.counts.forEach((c, j) => (correction[i * cols.counts.length + j] = (poolSize[0] * poolSize[1]) / (r * c))),
  );
  return tf.mul(mean, tf.tensor3d(correction, [rows.counts.length, cols.counts.length, 1]));
}

/** TensorFlow's `same` padding along one axis, and how many real values each output window holds. */
function samePadding(size: number, window: number, stride: number): { before: number; after: number; counts: number[] } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  const before = Math.floor(total / 2);
  const counts = Array.from({ length: out }, (_, i) => Math.min(i * stride - before + window, size) - Math.max(i * stride - before, 0));
  return { before, after: total - before, counts };
}

/** Mean over height and width: `[n, h, w, c]` → `[n, c]`. */
export function globalAvgPool2dLayer(_layer: GlobalAvgPool2dLayer): LayerForward {
  return (x) => tf.mean(x, [1, 2]);
}
