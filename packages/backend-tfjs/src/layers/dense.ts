import type { DenseLayer } from '@headstart/core';
import { activate } from './activations.js';
import type { LayerForward } from './forward-types.js';
import type { ParameterStore } from '../parameters.js';
import { affine } from './sequence.js';

/** Fully connected layer: `activation(x · kernel + bias)`, kernel `[in, out]`; a sequence `[n, T, in]` token by token. */
export function denseLayer(layer: DenseLayer, params: ParameterStore): LayerForward {
  const kernel = params.get(`${layer.name}.kernel`);
  const bias = layer.useBias ? params.get(`${layer.name}.bias`) : undefined;
  return (x) => activate(layer.activation, affine(x, kernel, bias));
}
