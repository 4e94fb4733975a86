import { inferShapes, MODEL_INPUT, type Layer, type ModelSpec, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { isDepthwise, tfjsLayersFor } from './tfjs-layers-for.js';

/** tfjs-layers names of headstart's parameters (Keras's): `bn1.movingMean` is `bn1/moving_mean`. */
export const TFJS_PARAMETER: Record<string, string> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  movingMean: 'moving_mean',
  movingVariance: 'moving_variance',
};

/**
 * The tfjs weight name of a parameter of `layer`: a depthwise convolution's kernel is Keras's
 * `depthwise_kernel`, `[kh, kw, in, multiplier]`, which is ours `[kh, kw, 1, in · multiplier]` with
 * the same values in the same order.
 */
export function tfjsParameter(layer: Layer, inputShape: number[], param: string): string {
  if (param === 'kernel' && layer.type === 'conv2d' && isDepthwise(layer, inputShape)) return 'depthwise_kernel';
  return TFJS_PARAMETER[param] ?? param;
}

/**
 * A functional tf.LayersModel computing what a model of `spec` computes with `weights`: `tf.input`,
 * then each headstart layer, in topological order, applied to the values it takes, as the Keras
 * layer of the same name (channels-last, Keras's kernel layouts, which are the canonical ones;
 * `add` and `concat` as Add and Concatenate). See {@link tfjsLayersFor} for the layers added around
 * some (ZeroPadding2D, LeakyReLU) and what is refused. The caller disposes the model.
 */
export function buildLayersModel(spec: ModelSpec, weights: NamedTensors): tf.LayersModel {
  const taken = new Set(spec.layers.map((l) => l.name));
  const nameFor = (base: string): string => uniqueName(base, taken);
  const input = tf.input({ shape: [...spec.inputShape], name: nameFor(`${MODEL_INPUT}_1`) });
  const values = new Map<string, tf.SymbolicTensor>([[MODEL_INPUT, input]]);
  const owners: { owner: tf.layers.Layer; layer: Layer; inputShape: number[] }[] = [];
  const shapes = inferShapes(spec);
  const layerOf = new Map(shapes.map((s) => [s.layer.name, s.layer]));
  for (const node of shapes) {
    const ins = node.inputs.map((name) => values.get(name)!);
    const { layer } = node;
    if (layer.type === 'add' || layer.type === 'concat') {
      const merge = layer.type === 'add' ? tf.layers.add({ name: layer.name }) : tf.layers.concatenate({ name: layer.name, axis: -1 });
      values.set(layer.name, merge.apply(ins) as tf.SymbolicTensor);
      continue;
    }
    const nonNegativeInput = node.inputs.every((name) => endsInRelu(layerOf.get(name)));
    const built = tfjsLayersFor(layer, { shapes: node, nonNegativeInput, nameFor });
    values.set(layer.name, built.reduce((x, l) => l.apply(x) as tf.SymbolicTensor, ins[0]!));
    owners.push({ owner: built.find((l) => l.name === layer.name)!, layer, inputShape: node.inputShape });
  }
  const model = tf.model({ inputs: input, outputs: values.get(spec.layers[spec.layers.length - 1]!.name)! });
  try {
    for (const { owner, layer, inputShape } of owners) setLayerWeights(owner, layer, inputShape, weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Whether a layer's output is ≥ 0: it ends in relu or relu6. */
function endsInRelu(layer: Layer | undefined): boolean {
  if (!layer) return false;
  const activation = 'activation' in layer ? layer.activation : undefined;
  return (layer.type === 'dense' || layer.type === 'conv2d' || layer.type === 'activation') && (activation === 'relu' || activation === 'relu6');
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  while (taken.has(name)) name = `${name}_`;
  taken.add(name);
  return name;
}

/** Give a built layer its weights, matched by tfjs weight name (`<layer>/<param>`), not by position. */
function setLayerWeights(owner: tf.layers.Layer, layer: Layer, inputShape: number[], weights: NamedTensors): void {
  if (owner.weights.length === 0) return;
  const params = ['kernel', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance'];
  const byParam = new Map(params.map((ours) => [tfjsParameter(layer, inputShape, ours), ours]));
  const values = owner.weights.map((w) => {
    const param = byParam.get(w.originalName.slice(w.originalName.lastIndexOf('/') + 1));
    const tensor = param ? weights.get(`${layer.name}.${param}`) : undefined;
    if (!tensor) throw new Error(`tfjs export: no headstart weight for tfjs weight ${w.originalName}`);
    return tf.tensor(tensor.data, w.shape as number[], 'float32');
  });
  owner.setWeights(values);
  tf.dispose(values);
}
