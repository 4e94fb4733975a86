import { asPair, type Conv2dLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { activate } from './activations.js';
import type { LayerForward } from './forward-types.js';
import type { ParameterStore } from '../parameters.js';

/**
 * 2-D convolution over NHWC input. The canonical kernel layout `[kh, kw, in, out]` is tfjs's own;
 * `same` padding is TensorFlow's (any odd padding goes at the bottom and right).
 */
export function conv2dLayer(layer: Conv2dLayer, params: ParameterStore): LayerForward {
  const kernel = params.get(`${layer.name}.kernel`) as tf.Tensor4D;
  const bias = layer.useBias ? params.get(`${layer.name}.bias`) : undefined;
  const strides = asPair(layer.strides);
  return (x) => {
    const conv = tf.conv2d(x as tf.Tensor4D, kernel, strides, layer.padding);
    return activate(layer.activation, bias ? tf.add(conv, bias) : conv);
  };
}
