import type { EmbeddingLayer, PositionEmbeddingLayer } from '@headstart/core';
import { add } from '../ops/elementwise.js';
import { embed } from '../ops/embedding.js';
import { sliceAxis } from '../ops/sequence.js';
import type { Flow, LayerContext } from './layer-context.js';

/** Token ids `[N, T]` → `[N, T, D]`: rows of the layer's `embeddings`. */
export function embeddingLayer(ctx: LayerContext, layer: EmbeddingLayer, ids: Flow): Flow {
  return { value: embed(ctx, ctx.param(`${layer.name}.embeddings`), ids.value, layer.paddingIndex), layout: 'flat' };
}

/** `x [N, T, D]` plus the first `T` rows of the layer's `embeddings`. */
export function positionEmbeddingLayer(ctx: LayerContext, layer: PositionEmbeddingLayer, x: Flow): Flow {
  const tokens = ctx.b.shapeOf(x.value)[1] as number;
  const rows = sliceAxis(ctx, ctx.param(`${layer.name}.embeddings`), 0, 0, tokens);
  return { value: add(ctx, x.value, rows), layout: 'flat' };
}
