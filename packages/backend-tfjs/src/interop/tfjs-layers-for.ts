import { asPair, HeadstartError, type Activation, type Conv2dLayer, type Layer, type LayerShapes, type Pool2dLayer } from '@headstart/core';
import { explicitPads, windowGeometry } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';
import { LEAKY_RELU_SLOPE } from '../layers/activations.js';

/** Arguments every built layer gets: its name. */
type LayerArgs = { name: string };

/** What {@link tfjsLayersFor} needs to know of a node beyond its layer. */
export interface NodeContext {
  /** The node's shapes (its input's channels decide whether a grouped convolution is depthwise). */
  shapes: LayerShapes;
  /** Whether every value the node receives is ≥ 0 (it follows a relu or relu6), so zero pads act as −∞ for max pooling. */
  nonNegativeInput: boolean;
  /** A layer name not yet used in the model, from a base. */
  nameFor: (base: string) => string;
}

/** Whether a convolution is depthwise: as many groups as input channels (Keras's DepthwiseConv2D). */
export function isDepthwise(layer: Conv2dLayer, inputShape: number[]): boolean {
  const groups = layer.groups ?? 1;
  return groups > 1 && groups === inputShape[inputShape.length - 1];
}

/**
 * The tfjs layers computing one single-input headstart layer, applied in order. The first of them
 * with the layer's own name owns its weights. Explicit pads become a ZeroPadding2D (`<layer>_pad`)
 * before a `valid` window; leakyRelu, which Keras has as a layer but not as an activation name, a
 * LeakyReLU layer (`<layer>_leakyRelu`) after a linear one.
 * @throws HeadstartError (NOT_SUPPORTED), one line naming the layer, for what tfjs layers cannot
 *   express exactly: grouped (not depthwise) convolutions, max pooling padded on a possibly negative
 *   input, average pooling whose pads are not counted unless they are TensorFlow's `same` pads.
 */
export function tfjsLayersFor(layer: Layer, context: NodeContext): tf.layers.Layer[] {
  const args: LayerArgs = { name: layer.name };
  switch (layer.type) {
    case 'dense':
      return withActivation(layer.activation, layer.name, context, (activation) =>
        tf.layers.dense({ ...args, units: layer.units, useBias: layer.useBias, activation }),
      );
    case 'conv2d':
      return convLayers(layer, context);
    case 'maxPool2d':
    case 'avgPool2d':
      return poolLayers(layer, context);
    case 'globalAvgPool2d':
      return [tf.layers.globalAveragePooling2d({ ...args, dataFormat: 'channelsLast' })];
    case 'flatten':
      return [tf.layers.flatten({ ...args, dataFormat: 'channelsLast' })];
    case 'batchNorm':
      return [tf.layers.batchNormalization({ ...args, axis: -1, momentum: layer.momentum, epsilon: layer.epsilon })];
    case 'dropout':
      return [tf.layers.dropout({ ...args, rate: layer.rate })];
    case 'activation':
      return layer.activation === 'leakyRelu'
        ? [tf.layers.leakyReLU({ ...args, alpha: LEAKY_RELU_SLOPE })]
        : [tf.layers.activation({ ...args, activation: layer.activation })];
    default:
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `layer "${layer.name}" (${layer.type}) has no tfjs layers equivalent, so the model cannot be exported as tfjs`,
      );
  }
}

function convLayers(layer: Conv2dLayer, context: NodeContext): tf.layers.Layer[] {
  const depthwise = isDepthwise(layer, context.shapes.inputShape);
  if ((layer.groups ?? 1) > 1 && !depthwise) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": a grouped convolution (groups ${layer.groups}) that is not depthwise has no tfjs layers equivalent, so the model cannot be exported as tfjs`,
    );
  }
  const pads = explicitPads(layer.padding);
  const window = {
    name: layer.name,
    kernelSize: asPair(layer.kernelSize),
    strides: asPair(layer.strides),
    padding: pads ? ('valid' as const) : (layer.padding as 'valid' | 'same'),
    useBias: layer.useBias,
    dataFormat: 'channelsLast' as const,
  };
  const channels = context.shapes.inputShape[context.shapes.inputShape.length - 1]!;
  const built = withActivation(layer.activation, layer.name, context, (activation) =>
    depthwise
      ? tf.layers.depthwiseConv2d({ ...window, depthMultiplier: layer.filters / channels, activation })
      : tf.layers.conv2d({ ...window, filters: layer.filters, activation }),
  );
  return pads ? [zeroPadding(layer.name, pads, context), ...built] : built;
}

function poolLayers(layer: Pool2dLayer, context: NodeContext): tf.layers.Layer[] {
  const poolSize = asPair(layer.poolSize);
  const strides = asPair(layer.strides ?? layer.poolSize);
  const pool = (padding: 'valid' | 'same'): tf.layers.Layer => {
    const args = { name: layer.name, poolSize, strides, padding, dataFormat: 'channelsLast' as const };
    return layer.type === 'maxPool2d' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
  };
  const pads = explicitPads(layer.padding);
  if (!pads) return [pool(layer.padding as 'valid' | 'same')];
  const [, h, w] = [0, ...context.shapes.inputShape];
  const same = windowGeometry([h!, w!], poolSize, strides, 'same').pads;
  // TensorFlow's `same` pooling ignores its pads (max over real values, average of real values).
  const ignoredPads = layer.type === 'maxPool2d' || !layer.countIncludePad;
  if (ignoredPads && pads.every((p, i) => p === same[i])) return [pool('same')];
  if (layer.type === 'maxPool2d' && !context.nonNegativeInput) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": max pooling with pads [${pads}] on an input that may be negative has no exact tfjs layers equivalent (Keras pads with zeros), so the model cannot be exported as tfjs`,
    );
  }
  if (layer.type === 'avgPool2d' && !layer.countIncludePad) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": average pooling with pads [${pads}] not counted (countIncludePad false) has no exact tfjs layers equivalent unless they are the same padding's [${same}], so the model cannot be exported as tfjs`,
    );
  }
  return [zeroPadding(layer.name, pads, context), pool('valid')];
}

/** Zero pads `[top, left, bottom, right]` as a ZeroPadding2D named `<layer>_pad`. */
function zeroPadding(name: string, [top, left, bottom, right]: number[], context: NodeContext): tf.layers.Layer {
  return tf.layers.zeroPadding2d({
    name: context.nameFor(`${name}_pad`),
    padding: [
      [top!, bottom!],
      [left!, right!],
    ],
    dataFormat: 'channelsLast',
  });
}

/** The layer with its activation, or linear followed by a LeakyReLU layer for `leakyRelu`. */
function withActivation(
  activation: Activation,
  name: string,
  context: NodeContext,
  make: (activation: Exclude<Activation, 'leakyRelu'>) => tf.layers.Layer,
): tf.layers.Layer[] {
  if (activation !== 'leakyRelu') return [make(activation)];
  return [make('linear'), tf.layers.leakyReLU({ name: context.nameFor(`${name}_leakyRelu`), alpha: LEAKY_RELU_SLOPE })];
}
