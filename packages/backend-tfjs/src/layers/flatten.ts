import type { FlattenLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { LayerForward } from './forward-types.js';

/** Row-major flatten of each sample; NHWC order is the canonical channels-last order already. */
export function flattenLayer(_layer: FlattenLayer): LayerForward {
  return (x) => tf.reshape(x, [x.shape[0]!, -1]);
}
