import type { DenseLayer } from '@headstart/core';
import { activate } from '../ops/activations.js';
import { gemm } from '../ops/gemm.js';
import type { Flow, LayerContext } from './layer-context.js';

/** `activation(x·kernel + bias)` with the canonical `[in, out]` kernel used as is. */
export function denseLayer(ctx: LayerContext, layer: DenseLayer, x: Flow): Flow {
  const bias = layer.useBias ? ctx.param(`${layer.name}.bias`) : undefined;
  const y = gemm(ctx, x.value, ctx.param(`${layer.name}.kernel`), bias);
  return { value: activate(ctx, layer.activation, y), layout: 'flat' };
}
