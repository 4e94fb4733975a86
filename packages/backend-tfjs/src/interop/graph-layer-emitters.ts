import { activation, affine } from './graph-ops.js';
import type { LayerEmitters } from './graph-emitter.js';
import { attention, embedding, layerNorm, positionEmbedding, sequencePool } from './graph-sequence-emitters.js';

/**
 * The layer types a tfjs graph-model export expresses: those of text encoders and what follows them
 * (dense layers on tokens or on the pooled vector, residual adds). Dropout is the identity in
 * inference. Any other type (convolutions, pooling windows, batch norm, concat, flatten) is refused.
 */
export const GRAPH_EMITTERS: LayerEmitters = {
  embedding,
  positionEmbedding,
  layerNorm,
  attention,
  sequencePool,
  dense: ({ g, param }, layer, [x], node) => {
    const kernel = { node: param(layer, 'kernel'), units: layer.units };
    const out = affine(g, layer.name, x!, node.inputShape, kernel, layer.useBias ? param(layer, 'bias') : undefined);
    return activation(g, layer.name, layer.activation, out);
  },
  activation: ({ g }, layer, [x]) => activation(g, layer.name, layer.activation, x!),
  dropout: (_ctx, _layer, [x]) => x!,
  add: ({ g }, layer, xs) =>
    xs.length === 2 ? g.op(`${layer.name}/add`, 'AddV2', xs) : g.op(`${layer.name}/add`, 'AddN', xs, { N: { i: String(xs.length) } }),
};
