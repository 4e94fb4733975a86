import type { LayerNormLayer } from '@headstart/core';
import { layerNorm } from '../ops/layer-norm.js';
import type { Flow, LayerContext } from './layer-context.js';

/** Layer normalisation over the last axis with the layer's `gamma` and `beta`. */
export function layerNormLayer(ctx: LayerContext, layer: LayerNormLayer, x: Flow): Flow {
  const [gamma, beta] = [ctx.param(`${layer.name}.gamma`), ctx.param(`${layer.name}.beta`)];
  return { value: layerNorm(ctx, x.value, gamma, beta, layer.epsilon), layout: x.layout };
}
