import { splitFinalSoftmax, type Layer, type ModelSpec } from '@headstart/core';
import type * as tf from '@tensorflow/tfjs';
import { activate, activationLayer } from './layers/activations.js';
import { batchNormLayer } from './layers/batch-norm.js';
import { conv2dLayer } from './layers/conv.js';
import { denseLayer } from './layers/dense.js';
import { dropoutLayer } from './layers/dropout.js';
import { flattenLayer } from './layers/flatten.js';
import type { ForwardMode, LayerForward } from './layers/forward-types.js';
import { opaqueBlockError } from './opaque-blocks.js';
import type { ParameterStore } from './parameters.js';
import { globalAvgPool2dLayer, pool2dLayer } from './layers/pooling.js';

/** A spec compiled to tf ops over a model's variables. */
export interface CompiledForward {
  /** Run the layers on a batch `[n, ...inputShape]`. Call inside tf.tidy. */
  forward(x: tf.Tensor, mode: ForwardMode): tf.Tensor;
  /** Whether the model ends in a softmax, which `mode.logits` skips. */
  endsInSoftmax: boolean;
}

/**
 * Compose the per-layer ops of a spec. A final softmax (a dense or conv layer's activation, or a
 * trailing activation layer) is split off so the loss can start from the logits before it.
 */
export function compileForward(spec: ModelSpec, params: ParameterStore): CompiledForward {
  const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
  const ops = layers.map((layer, index) => buildLayer(layer, index, params));
  return {
    endsInSoftmax,
    forward(x, mode) {
      const out = ops.reduce((y, op) => op(y, mode), x);
      return endsInSoftmax && !mode.logits ? activate('softmax', out) : out;
    },
  };
}

function buildLayer(layer: Layer, index: number, params: ParameterStore): LayerForward {
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
    case 'add':
    case 'concat':
      // Unreachable: createModel refuses graphs (requireChain) before anything is built.
      throw new Error(`layer "${layer.name}": a ${layer.type} layer reached the chain builder`);
  }
}
