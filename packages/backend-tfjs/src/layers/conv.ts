import { asPair, type Conv2dLayer } from '@headstart/core';
import { explicitPads } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../parameters.js';
import { activate } from './activations.js';
import type { LayerForward } from './forward-types.js';

/**
 * 2-D convolution over NHWC input. The canonical kernel layout `[kh, kw, in / groups, out]` is
 * tfjs's own; `same` padding is TensorFlow's (any odd padding goes at the bottom and right);
 * explicit pads are zero padding before a `valid` convolution. A depthwise convolution (groups equal
 * to the input channels) runs tf.depthwiseConv2d, whose `[kh, kw, in, multiplier]` kernel is ours
 * reshaped; other groups run one convolution per group.
 */
export function conv2dLayer(layer: Conv2dLayer, params: ParameterStore): LayerForward {
  const kernel = params.get(`${layer.name}.kernel`) as tf.Tensor4D;
  const bias = layer.useBias ? params.get(`${layer.name}.bias`) : undefined;
  const strides = asPair(layer.strides);
  const groups = layer.groups ?? 1;
  const pads = explicitPads(layer.padding);
  const padding = pads ? 'valid' : (layer.padding as 'valid' | 'same');
  return (x) => {
    const input = pads ? zeroPad(x as tf.Tensor4D, pads) : (x as tf.Tensor4D);
    const conv = groupedConv(input, kernel, strides, padding, groups);
    return activate(layer.activation, bias ? tf.add(conv, bias) : conv);
  };
}

/** Pad an NHWC batch by `[top, left, bottom, right]` with `value` (zero for a convolution). */
export function zeroPad(x: tf.Tensor4D, [top, left, bottom, right]: number[], value = 0): tf.Tensor4D {
  return tf.pad(
    x,
    [
      [0, 0],
      [top!, bottom!],
      [left!, right!],
      [0, 0],
    ],
    value,
  );
}

function groupedConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: [number, number],
  padding: 'valid' | 'same',
  groups: number,
): tf.Tensor4D {
  if (groups === 1) return tf.conv2d(x, kernel, strides, padding);
  const [kh, kw, perGroup, filters] = kernel.shape;
  const channels = x.shape[3];
  if (perGroup === 1 && groups === channels) {
    return tf.depthwiseConv2d(x, tf.reshape(kernel, [kh, kw, channels, filters / channels]) as tf.Tensor4D, strides, padding);
  }
  const inputs = tf.split(x, groups, 3) as tf.Tensor4D[];
  const kernels = tf.split(kernel, groups, 3) as tf.Tensor4D[];
  return tf.concat(
    inputs.map((part, g) => tf.conv2d(part, kernels[g]!, strides, padding)),
    3,
  );
}
