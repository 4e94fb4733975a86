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
  const pool = layer.type === 'maxPool2d' ? tf.maxPool : tf.avgPool;
  return (x) => pool(x as tf.Tensor4D, poolSize, strides, layer.padding);
}

/** Mean over height and width: `[n, h, w, c]` → `[n, c]`. */
export function globalAvgPool2dLayer(_layer: GlobalAvgPool2dLayer): LayerForward {
  return (x) => tf.mean(x, [1, 2]);
}
