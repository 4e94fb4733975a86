import type { AttentionLayer, AttentionProjection } from '@headstart/core';
import { affine, castToFloat } from './graph-ops.js';
import type { EmitContext, LayerEmitter } from './graph-emitter.js';
import { MASKED_SCORE } from '../layers/sequence.js';

/** Token ids `[n, T]` → rows of `embeddings`; a token equal to `paddingIndex` embeds to zeros. */
export const embedding: LayerEmitter<'embedding'> = ({ g, param }, layer, [ids]) => {
  const rows = g.op(`${layer.name}/gather`, 'GatherV2', [param(layer, 'embeddings'), ids!, g.ints([0], true)], {
    batch_dims: { i: '0' },
  });
  if (layer.paddingIndex === undefined) return rows;
  const kept = g.op(`${layer.name}/not_padding`, 'NotEqual', [ids!, g.ints([layer.paddingIndex], true)]);
  const scale = g.op(`${layer.name}/keep`, 'ExpandDims', [castToFloat(g, `${layer.name}/keep_float`, kept), g.ints([-1], true)]);
  return g.op(`${layer.name}/masked`, 'Mul', [rows, scale]);
};

/** `x [n, T, D]` plus the first `T` rows of `embeddings`. */
export const positionEmbedding: LayerEmitter<'positionEmbedding'> = ({ g, param }, layer, [x], node) => {
  const rows = g.op(`${layer.name}/slice`, 'Slice', [param(layer, 'embeddings'), g.ints([0, 0]), g.ints([node.inputShape[0]!, -1])]);
  return g.op(`${layer.name}/add`, 'AddV2', [x!, rows]);
};

/** Normalisation over the last axis with the biased variance, then `gamma` and `beta`. */
export const layerNorm: LayerEmitter<'layerNorm'> = ({ g, param }, layer, [x]) => {
  const n = layer.name;
  const lastAxis = g.ints([-1]);
  const keepDims = { keep_dims: { b: true } };
  const centred = g.op(`${n}/centred`, 'Sub', [x!, g.op(`${n}/mean`, 'Mean', [x!, lastAxis], keepDims)]);
  const variance = g.op(`${n}/variance`, 'Mean', [g.op(`${n}/square`, 'Square', [centred]), lastAxis], keepDims);
  const scale = g.op(`${n}/rsqrt`, 'Rsqrt', [g.op(`${n}/plus_epsilon`, 'AddV2', [variance, g.scalar(layer.epsilon)])]);
  const normed = g.op(`${n}/normed`, 'Mul', [g.op(`${n}/scaled`, 'Mul', [centred, scale]), param(layer, 'gamma')]);
  return g.op(`${n}/beta`, 'AddV2', [normed, param(layer, 'beta')]);
};

/**
 * Multi-head self-attention on `[n, T, D]`: heads of `D/heads` dims, `q·kᵀ/√(D/heads)`, padded keys of
 * the optional mask `[n, T]` given a large negative score, softmax, `·v`, heads joined, output
 * projection. A projection with a LoRA adapter adds `(alpha/rank)·(x·A)·B`.
 */
export const attention: LayerEmitter<'attention'> = (ctx, layer, [x, mask], node) => {
  const { g } = ctx;
  const [tokens, width] = node.inputShape as [number, number];
  const depth = width / layer.heads;
  const heads = (p: AttentionProjection): string => {
    const split = g.op(`${layer.name}/${p}_split`, 'Reshape', [
      project(ctx, layer, p, x!, node.inputShape),
      g.ints([-1, tokens, layer.heads, depth]),
    ]);
    return g.op(`${layer.name}/${p}_heads`, 'Transpose', [split, g.ints([0, 2, 1, 3])]);
  };
  const products = g.op(`${layer.name}/qk`, 'BatchMatMulV2', [heads('q'), heads('k')], { adj_x: { b: false }, adj_y: { b: true } });
  let scores = g.op(`${layer.name}/scores`, 'Mul', [products, g.scalar(1 / Math.sqrt(depth))]);
  if (mask) scores = g.op(`${layer.name}/masked_scores`, 'AddV2', [scores, maskBias(ctx, layer.name, mask, tokens)]);
  const weights = g.op(`${layer.name}/softmax`, 'Softmax', [scores]);
  const context = g.op(`${layer.name}/context`, 'BatchMatMulV2', [weights, heads('v')], { adj_x: { b: false }, adj_y: { b: false } });
  const merged = g.op(`${layer.name}/merge`, 'Transpose', [context, g.ints([0, 2, 1, 3])]);
  const joined = g.op(`${layer.name}/joined`, 'Reshape', [merged, g.ints([-1, tokens, width])]);
  return project(ctx, layer, 'out', joined, node.inputShape);
};

/** `(mask − 1)·1e9` as `[n, 1, 1, T]`: 0 for a token, −1e9 for padding. */
function maskBias({ g }: EmitContext, name: string, mask: string, tokens: number): string {
  const open = g.op(`${name}/mask_minus_one`, 'Sub', [castToFloat(g, `${name}/mask_float`, mask), g.scalar(1)]);
  const bias = g.op(`${name}/mask_bias`, 'Mul', [open, g.scalar(-MASKED_SCORE)]);
  return g.op(`${name}/mask_bias_heads`, 'Reshape', [bias, g.ints([-1, 1, 1, tokens])]);
}

/** `x·pKernel + pBias`, plus the adapter's `(alpha/rank)·(x·pLoraA)·pLoraB` (PEFT's order). */
function project(ctx: EmitContext, layer: AttentionLayer, p: AttentionProjection, x: string, shape: number[]): string {
  const { g, param } = ctx;
  const width = shape.at(-1)!;
  const name = `${layer.name}/${p}`;
  const y = affine(g, name, x, shape, { node: param(layer, `${p}Kernel`), units: width }, param(layer, `${p}Bias`));
  const lora = layer.lora;
  if (!lora?.projections.includes(p)) return y;
  const down = affine(g, `${name}_lora_a`, x, shape, { node: param(layer, `${p}LoraA`), units: lora.rank }, undefined);
  const up = affine(
    g,
    `${name}_lora_b`,
    down,
    [...shape.slice(0, -1), lora.rank],
    { node: param(layer, `${p}LoraB`), units: width },
    undefined,
  );
  return g.op(`${name}_lora`, 'AddV2', [y, g.op(`${name}_lora_scaled`, 'Mul', [up, g.scalar(lora.alpha / lora.rank)])]);
}

/** `[n, T, D]` → `[n, D]`: the first token, or the mean of the tokens the mask marks (at least one counted). */
export const sequencePool: LayerEmitter<'sequencePool'> = ({ g }, layer, [x, mask], node) => {
  const n = layer.name;
  const width = node.inputShape[1]!;
  if (layer.mode === 'first') {
    const first = g.op(`${n}/first`, 'Slice', [x!, g.ints([0, 0, 0]), g.ints([-1, 1, -1])]);
    return g.op(`${n}/pooled`, 'Reshape', [first, g.ints([-1, width])]);
  }
  const tokensAxis = g.ints([1]);
  if (!mask) return g.op(`${n}/mean`, 'Mean', [x!, tokensAxis], { keep_dims: { b: false } });
  const m = castToFloat(g, `${n}/mask_float`, mask);
  const count = g.op(`${n}/count`, 'Maximum', [g.op(`${n}/tokens`, 'Sum', [m, tokensAxis], { keep_dims: { b: true } }), g.scalar(1)]);
  const masked = g.op(`${n}/masked`, 'Mul', [x!, g.op(`${n}/mask_column`, 'ExpandDims', [m, g.ints([-1], true)])]);
  return g.op(`${n}/pooled`, 'RealDiv', [g.op(`${n}/sum`, 'Sum', [masked, tokensAxis], { keep_dims: { b: false } }), count]);
};
