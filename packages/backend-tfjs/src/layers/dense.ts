import type { DenseLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { activate } from './activations.js';
import type { LayerForward } from './forward-types.js';
import type { ParameterStore } from '../parameters.js';

/** Fully connected layer: `activation(x · kernel + bias)`, kernel `[in, out]`. */
export function denseLayer(layer: DenseLayer, params: ParameterStore): LayerForward {
  const kernel = params.get(`${layer.name}.kernel`);
  const bias = layer.useBias ? params.get(`${layer.name}.bias`) : undefined;
  return (x) => {
    const product = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
    return activate(layer.activation, bias ? tf.add(product, bias) : product);
  };
}
