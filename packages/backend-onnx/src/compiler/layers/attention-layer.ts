import type { AttentionLayer, AttentionProjection } from '@headstart/core';
import { activate } from '../ops/activations.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/sequence.js';
import { transpose } from '../ops/shape-ops.js';
import { affine } from './dense-layer.js';
import type { Flow, LayerContext } from './layer-context.js';
import { floatMask } from './sequence-mask.js';

/** What a padded key's score gets added: its softmax weight is then exactly 0 in float32. */
export const MASKED_SCORE = -1e9;

/**
 * Multi-head self-attention on `x [N, T, D]` (DistilBERT's): `q`, `k`, `v` projections split into
 * heads `[N, H, T, D/H]`, `softmax(q·kᵀ/√(D/H) + maskBias)·v`, heads joined, output projection. The
 * mask `[N, T]` adds {@link MASKED_SCORE} to the scores of padded keys.
 */
export function attentionLayer(ctx: LayerContext, layer: AttentionLayer, x: Flow, mask: Flow | undefined): Flow {
  const { b } = ctx;
  const [, tokens, width] = b.shapeOf(x.value) as ['N', number, number];
  const heads = layer.heads;
  const depth = width / heads;
  const project = (p: AttentionProjection, from = x.value): string =>
    withAdapter(ctx, layer, p, from, affine(ctx, from, ctx.param(`${layer.name}.${p}Kernel`), ctx.param(`${layer.name}.${p}Bias`)));
  const split = (v: string, perm: readonly number[]): string => transpose(ctx, reshape(ctx, v, ['N', tokens, heads, depth]), perm);
  const q = split(project('q'), [0, 2, 1, 3]);
  const kT = split(project('k'), [0, 2, 3, 1]);
  const v = split(project('v'), [0, 2, 1, 3]);
  let scores = mul(ctx, matmul(ctx, q, kT), b.scalar(1 / Math.sqrt(depth)));
  if (mask) scores = add(ctx, scores, maskBias(ctx, mask.value, tokens));
  const weights = activate(ctx, 'softmax', scores, -1);
  const joined = reshape(ctx, transpose(ctx, matmul(ctx, weights, v), [0, 2, 1, 3]), ['N', tokens, width]);
  return { value: project('out', joined), layout: 'flat' };
}

/** `y + (alpha/rank)·(x·pLoraA)·pLoraB` when the layer has a LoRA adapter on projection `p` (PEFT's order), else `y`. */
function withAdapter(ctx: LayerContext, layer: AttentionLayer, p: AttentionProjection, x: string, y: string): string {
  const lora = layer.lora;
  if (!lora?.projections.includes(p)) return y;
  const low = affine(ctx, affine(ctx, x, ctx.param(`${layer.name}.${p}LoraA`), undefined), ctx.param(`${layer.name}.${p}LoraB`), undefined);
  return add(ctx, y, mul(ctx, low, ctx.b.scalar(lora.alpha / lora.rank)));
}

/** `(mask − 1)·1e9` as `[N, 1, 1, T]`: 0 for a token, {@link MASKED_SCORE} for padding. */
function maskBias(ctx: LayerContext, mask: string, tokens: number): string {
  const { b } = ctx;
  const bias = b.binary('Mul', b.binary('Sub', floatMask(b, mask), b.scalar(1)), b.scalar(-MASKED_SCORE));
  return b.op('Unsqueeze', [bias, b.int64s([1, 2])], {}, ['N', 1, 1, tokens], 'mask_bias');
}
