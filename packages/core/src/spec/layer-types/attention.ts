import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter, type ParameterShape } from '../parameter-shape.js';
import { nodeFields, positiveInt } from './fields.js';
import type { MaskedLayerType } from './layer-type.js';
import { expectMask, expectSequence } from './sequence-fields.js';

/** The projections of an attention layer, in checkpoint order. */
export const ATTENTION_PROJECTIONS = ['q', 'k', 'v', 'out'] as const;

/** One of {@link ATTENTION_PROJECTIONS}. */
export type AttentionProjection = (typeof ATTENTION_PROJECTIONS)[number];

/**
 * Low-rank adapters (LoRA, as Hugging Face PEFT) on some of the projections: each listed projection
 * `p` computes `x·pKernel + pBias + (alpha/rank)·(x·pLoraA)·pLoraB`, with `pLoraA` `[D, rank]` and
 * `pLoraB` `[rank, D]` (PEFT's `lora_A.weight` and `lora_B.weight`, transposed).
 */
const attentionLoraSchema = z.strictObject({
  rank: positiveInt,
  alpha: z.number().positive(),
  projections: z
    .array(z.enum(ATTENTION_PROJECTIONS))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'each projection at most once'),
});

/**
 * Multi-head self-attention over a sequence `[T, D]` (DistilBERT's `MultiHeadSelfAttention`): query,
 * key and value projections, `heads` heads of `D / heads` dims, softmax of the scaled dot products
 * `q·kᵀ/√(D/heads)`, and an output projection. An optional second input, a padding mask `[T]`
 * (1 for a token, 0 for padding), keeps every query from attending to padded keys.
 * Parameters, in DistilBERT's order (`q_lin`, `k_lin`, `v_lin`, `out_lin`; kernels `[in, out]`, the
 * transpose of PyTorch's `weight`): `qKernel`, `qBias`, `kKernel`, `kBias`, `vKernel`, `vBias`,
 * `outKernel`, `outBias`; then, with `lora`, `pLoraA` and `pLoraB` for each adapted projection `p`.
 */
export const attentionLayerSchema = z.strictObject({
  type: z.literal('attention'),
  ...nodeFields,
  heads: positiveInt,
  lora: attentionLoraSchema.optional(),
});

/** `attention`: see {@link attentionLayerSchema}. */
export const attention: MaskedLayerType<typeof attentionLayerSchema> = {
  arity: 'masked',
  schema: attentionLayerSchema,
  shapes(layer, input, mask, where) {
    const [tokens, width] = expectSequence('attention', input, where);
    if (width % layer.heads !== 0) throw new SpecError(`${where}: heads: the width ${width} does not split into ${layer.heads} heads`);
    expectMask('attention', tokens, mask, where);
    const parameters: ParameterShape[] = ATTENTION_PROJECTIONS.flatMap((p) => [
      parameter(layer, `${p}Kernel`, [width, width], 'kernel'),
      parameter(layer, `${p}Bias`, [width], 'bias'),
    ]);
    for (const p of layer.lora?.projections ?? [])
      parameters.push(
        parameter(layer, `${p}LoraA`, [width, layer.lora!.rank], 'kernel'),
        parameter(layer, `${p}LoraB`, [layer.lora!.rank, width], 'kernel'),
      );
    return { outputShape: input, parameters };
  },
};
