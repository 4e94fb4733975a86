import { inferShapes, MODEL_INPUT, type Layer, type ModelSpec } from '@headstart/core';
import { splitFinalSoftmax } from '@headstart/core/backend-kit';
import type * as tf from '@tensorflow/tfjs';
import { activate, activationLayer } from './layers/activations.js';
import { batchNormLayer } from './layers/batch-norm.js';
import { conv2dLayer } from './layers/conv.js';
import { denseLayer } from './layers/dense.js';
import { dropoutLayer } from './layers/dropout.js';
import { flattenLayer } from './layers/flatten.js';
import type { ForwardMode, LayerForward } from './layers/forward-types.js';
import { addLayer, concatLayer } from './layers/merge.js';
import { opaqueBlockError } from './opaque-blocks.js';
import type { ParameterStore } from './parameters.js';
import { globalAvgPool2dLayer, pool2dLayer } from './layers/pooling.js';
import { attentionLayer, embeddingLayer, layerNormLayer, positionEmbeddingLayer, sequencePoolLayer } from './layers/sequence.js';

/** A spec compiled to tf ops over a model's variables. */
export interface CompiledForward {
  /**
   * Run the layers on a batch `[n, ...inputShape]`, or for a spec with named inputs on each input's
   * batch by name. Call inside tf.tidy.
   */
  forward(x: tf.Tensor | ReadonlyMap<string, tf.Tensor>, mode: ForwardMode): tf.Tensor;
  /** Whether the model ends in a softmax, which `mode.logits` skips. */
  endsInSoftmax: boolean;
}

/** One node of the compiled graph: the values it takes, by name, and its op on them. */
interface CompiledNode {
  name: string;
  inputs: string[];
  run: (xs: tf.Tensor[], mode: ForwardMode) => tf.Tensor;
}

/**
 * Compose the per-layer ops of a spec into its graph, evaluated in core's topological order with
 * every value kept by node name ({@link MODEL_INPUT} for the input); the output is the last listed
 * layer's. A final softmax (a dense or conv layer's activation, or a last softmax layer) is split off
 * so the loss can start from the logits before it.
 */
export function compileForward(spec: ModelSpec, params: ParameterStore): CompiledForward {
  const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
  const split = new Map(layers.map((layer) => [layer.name, layer]));
  const nodes: CompiledNode[] = inferShapes(spec).map(({ layer, index, inputs }) => ({
    name: layer.name,
    inputs,
    // A split-off softmax layer passes its input on: the logits.
    run: buildNode(split.get(layer.name) ?? { type: 'activation', name: layer.name, activation: 'linear' }, index, params),
  }));
  const output = spec.layers[spec.layers.length - 1]!.name;
  return {
    endsInSoftmax,
    forward(x, mode) {
      const values = new Map<string, tf.Tensor>(x instanceof Map ? x : [[MODEL_INPUT, x as tf.Tensor]]);
      for (const node of nodes)
        values.set(
          node.name,
          node.run(
            node.inputs.map((name) => values.get(name)!),
            mode,
          ),
        );
      const out = values.get(output)!;
      return endsInSoftmax && !mode.logits ? activate('softmax', out) : out;
    },
  };
}

function buildNode(layer: Layer, index: number, params: ParameterStore): CompiledNode['run'] {
  switch (layer.type) {
    case 'add': {
      const merge = addLayer(layer);
      return (xs) => merge(xs);
    }
    case 'concat': {
      const merge = concatLayer(layer);
      return (xs) => merge(xs);
    }
    case 'attention': {
      const attend = attentionLayer(layer, params);
      return (xs) => attend(xs[0]!, xs[1]);
    }
    case 'sequencePool': {
      const pool = sequencePoolLayer(layer);
      return (xs) => pool(xs[0]!, xs[1]);
    }
    default: {
      const op = buildLayer(layer, index, params);
      return (xs, mode) => op(xs[0]!, mode);
    }
  }
}

function buildLayer(
  layer: Exclude<Layer, { type: 'add' | 'concat' | 'attention' | 'sequencePool' }>,
  index: number,
  params: ParameterStore,
): LayerForward {
  switch (layer.type) {
    case 'dense':
      return denseLayer(layer, params);
    case 'conv2d':
      return conv2dLayer(layer, params);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool2dLayer(layer);
    case 'globalAvgPool2d':
      return globalAvgPool2dLayer(layer);
    case 'flatten':
      return flattenLayer(layer);
    case 'batchNorm':
      return batchNormLayer(layer, params);
    case 'dropout':
      return dropoutLayer(layer, index);
    case 'activation':
      return activationLayer(layer);
    case 'onnx':
      throw opaqueBlockError(layer);
    case 'embedding':
      return embeddingLayer(layer, params);
    case 'positionEmbedding':
      return positionEmbeddingLayer(layer, params);
    case 'layerNorm':
      return layerNormLayer(layer, params);
  }
}
