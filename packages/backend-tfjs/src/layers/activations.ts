import type { Activation, ActivationLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { LayerForward } from './forward-types.js';

/**
 * Negative slope of `leakyRelu`: 0.01, PyTorch's default (Keras uses 0.3, tf.nn 0.2). Every backend
 * must agree on it for a checkpoint to mean the same thing everywhere.
 */
export const LEAKY_RELU_SLOPE = 0.01;

/** Apply an element-wise activation; `softmax` runs over the last axis. `gelu` is the exact erf form. */
export function activate(kind: Activation, x: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, LEAKY_RELU_SLOPE);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu':
      return gelu(x);
    case 'softmax':
      return tf.softmax(x);
  }
}

/** gelu(x) = x/2 · (1 + erf(x/√2)). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** A stand-alone activation layer. */
export function activationLayer(layer: ActivationLayer): LayerForward {
  return (x) => activate(layer.activation, x);
}
