import { asPair, type GlobalAvgPool2dLayer, type Pool2dLayer } from '@headstart/core';
import { explicitPads, windowGeometry } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';
import { zeroPad } from './conv.js';
import type { LayerForward } from './forward-types.js';

/**
 * Max or average pooling over NHWC input. Average pooling with `same` padding divides by the number
 * of real (unpadded) values in each window, as TensorFlow and ONNX's default do.
 */
export function pool2dLayer(layer: Pool2dLayer): LayerForward {
  const poolSize = asPair(layer.poolSize);
  const strides = asPair(layer.strides ?? layer.poolSize);
  const pads = explicitPads(layer.padding);
  if (pads && layer.type === 'maxPool2d') return (x) => tf.maxPool(zeroPad(x as tf.Tensor4D, pads, -Infinity), poolSize, strides, 'valid');
  if (pads) return (x) => avgPoolPadded(x as tf.Tensor4D, layer, poolSize, strides);
  if (layer.type === 'avgPool2d' && layer.padding === 'same') return (x) => avgPoolPadded(x as tf.Tensor4D, layer, poolSize, strides);
  const pool = layer.type === 'maxPool2d' ? tf.maxPool : tf.avgPool;
  return (x) => pool(x as tf.Tensor4D, poolSize, strides, layer.padding as 'valid');
}

/**
 * Padded average pooling spelled out as zero padding, a `valid` average and, unless the pads count
 * (`countIncludePad`), a per-window correction `window / real values`. tf.avgPool's own `same`
 * forward is right, but its gradient (AvgPoolGrad on the cpu engine) divides by the whole window at
 * the edges, so training would drift from the forward.
 */
function avgPoolPadded(x: tf.Tensor4D, layer: Pool2dLayer, poolSize: [number, number], strides: [number, number]): tf.Tensor {
  const [, h, w] = x.shape;
  const g = windowGeometry([h, w], poolSize, strides, layer.padding);
  const mean = tf.avgPool(zeroPad(x, g.pads), poolSize, strides, 'valid');
  if (layer.countIncludePad) return mean;
  const rows = realCounts(h, g.output[0], poolSize[0], strides[0], g.pads[0]);
  const cols = realCounts(w, g.output[1], poolSize[1], strides[1], g.pads[1]);
  const correction = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => (correction[i * cols.length + j] = (poolSize[0] * poolSize[1]) / (r * c))));
  return tf.mul(mean, tf.tensor3d(correction, [rows.length, cols.length, 1]));
}

/** How many real (unpadded) values each output window holds along one axis. */
function realCounts(size: number, out: number, window: number, stride: number, before: number): number[] {
  return Array.from({ length: out }, (_, i) => Math.min(i * stride - before + window, size) - Math.max(i * stride - before, 0));
}

/** Mean over height and width: `[n, h, w, c]` → `[n, c]`. */
export function globalAvgPool2dLayer(_layer: GlobalAvgPool2dLayer): LayerForward {
  return (x) => tf.mean(x, [1, 2]);
}
