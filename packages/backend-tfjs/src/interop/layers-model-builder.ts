import { asPair, HeadstartError, type Activation, type Layer, type ModelSpec, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { LEAKY_RELU_SLOPE } from '../layers/activations.js';

/** tfjs-layers names of headstart's parameters (Keras's): `bn1.movingMean` is `bn1/moving_mean`. */
export const TFJS_PARAMETER: Record<string, string> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  movingMean: 'moving_mean',
  movingVariance: 'moving_variance',
};

/** Arguments every built layer gets: its name, and for the first layer the input shape. */
type LayerArgs = { name: string; batchInputShape?: (number | null)[] };

/**
 * A tf.Sequential computing what a model of `spec` computes with `weights`: each headstart layer
 * becomes the Keras layer of the same name (channels-last, Keras's kernel layouts, which are the
 * canonical ones). leakyRelu, which Keras has as a layer but not as an activation name, becomes a
 * LeakyReLU layer with headstart's slope after its linear layer, named `<layer>_leakyRelu`.
 * The caller disposes the model.
 */
export function buildLayersModel(spec: ModelSpec, weights: NamedTensors): tf.Sequential {
  const names = new Set(spec.layers.map((l) => l.name));
  const layers: tf.layers.Layer[] = [];
  const owners = new Map<string, tf.layers.Layer>();
  for (const layer of spec.layers) {
    const args: LayerArgs = { name: layer.name, ...(layers.length === 0 ? { batchInputShape: [null, ...spec.inputShape] } : {}) };
    const built = toTfjsLayers(layer, args, (base) => uniqueName(base, names));
    owners.set(layer.name, built[0]!);
    layers.push(...built);
  }
  const model = tf.sequential({ layers });
  try {
    for (const [name, owner] of owners) setLayerWeights(owner, name, weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function toTfjsLayers(layer: Layer, args: LayerArgs, nameFor: (base: string) => string): tf.layers.Layer[] {
  switch (layer.type) {
    case 'dense':
      return withActivation(layer.activation, layer.name, nameFor, (activation) =>
        tf.layers.dense({ ...args, units: layer.units, useBias: layer.useBias, activation }),
      );
    case 'conv2d':
      if ((layer.groups ?? 1) > 1 || typeof layer.padding !== 'string')
        throw new HeadstartError(
          'NOT_SUPPORTED',
          `layer "${layer.name}": tfjs layers export of grouped or explicitly padded convolutions is not supported yet`,
        );
      return withActivation(layer.activation, layer.name, nameFor, (activation) =>
        tf.layers.conv2d({
          ...args,
          filters: layer.filters,
          kernelSize: asPair(layer.kernelSize),
          strides: asPair(layer.strides),
          padding: layer.padding as 'valid' | 'same',
          useBias: layer.useBias,
          activation,
          dataFormat: 'channelsLast',
        }),
      );
    case 'maxPool2d':
    case 'avgPool2d': {
      if (typeof layer.padding !== 'string')
        throw new HeadstartError(
          'NOT_SUPPORTED',
          `layer "${layer.name}": tfjs layers export of explicitly padded pooling is not supported yet`,
        );
      const pool = {
        ...args,
        poolSize: asPair(layer.poolSize),
        strides: asPair(layer.strides ?? layer.poolSize),
        padding: layer.padding as 'valid' | 'same',
        dataFormat: 'channelsLast' as const,
      };
      return [layer.type === 'maxPool2d' ? tf.layers.maxPooling2d(pool) : tf.layers.averagePooling2d(pool)];
    }
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
        `layer "${(layer as Layer).name}" (${(layer as Layer).type}) has no tfjs layers equivalent, so the model cannot be exported as tfjs`,
      );
  }
}

/** The layer with its activation, or linear followed by a LeakyReLU layer for `leakyRelu`. */
function withActivation(
  activation: Activation,
  name: string,
  nameFor: (base: string) => string,
  make: (activation: Exclude<Activation, 'leakyRelu'>) => tf.layers.Layer,
): tf.layers.Layer[] {
  if (activation !== 'leakyRelu') return [make(activation)];
  return [make('linear'), tf.layers.leakyReLU({ name: nameFor(`${name}_leakyRelu`), alpha: LEAKY_RELU_SLOPE })];
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  while (taken.has(name)) name = `${name}_`;
  taken.add(name);
  return name;
}

/** Give a built layer its weights, matched by tfjs weight name (`<layer>/<param>`), not by position. */
function setLayerWeights(owner: tf.layers.Layer, layerName: string, weights: NamedTensors): void {
  if (owner.weights.length === 0) return;
  const byParam = new Map(Object.entries(TFJS_PARAMETER).map(([ours, theirs]) => [theirs, ours]));
  const values = owner.weights.map((w) => {
    const param = byParam.get(w.originalName.slice(w.originalName.lastIndexOf('/') + 1));
    const tensor = param ? weights.get(`${layerName}.${param}`) : undefined;
    if (!tensor) throw new Error(`tfjs export: no headstart weight for tfjs weight ${w.originalName}`);
    return tf.tensor(tensor.data, tensor.shape, 'float32');
  });
  owner.setWeights(values);
  tf.dispose(values);
}
