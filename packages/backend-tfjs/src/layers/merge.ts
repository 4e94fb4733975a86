import type { AddLayer, ConcatLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { MergeForward } from './forward-types.js';

/** Element-wise sum of same-shape inputs (a residual connection); the gradient reaches each input unchanged. */
export function addLayer(_layer: AddLayer): MergeForward {
  return (xs) => (xs.length === 2 ? tf.add(xs[0]!, xs[1]!) : tf.addN(xs));
}

/** Inputs joined along the last (channels) axis; the gradient is each input's slice. */
export function concatLayer(_layer: ConcatLayer): MergeForward {
  return (xs) => tf.concat(xs, xs[0]!.rank - 1);
}
