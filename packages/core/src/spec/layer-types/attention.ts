import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { nodeFields, positiveInt } from './fields.js';
import type { MaskedLayerType } from './layer-type.js';
import { expectMask, expectSequence } from './sequence-fields.js';

/**
 * Multi-head self-attention over a sequence `[T, D]` (DistilBERT's `MultiHeadSelfAttention`): query,
 * key and value projections, `heads` heads of `D / heads` dims, softmax of the scaled dot products
 * `q·kᵀ/√(D/heads)`, and an output projection. An optional second input, a padding mask `[T]`
 * (1 for a token, 0 for padding), keeps every query from attending to padded keys.
 * Parameters, in DistilBERT's order (`q_lin`, `k_lin`, `v_lin`, `out_lin`; kernels `[in, out]`, the
 * transpose of PyTorch's `weight`): `qKernel`, `qBias`, `kKernel`, `kBias`, `vKernel`, `vBias`,
 * `outKernel`, `outBias`.
 */
export const attentionLayerSchema = z.strictObject({
  type: z.literal('attention'),
  ...nodeFields,
  heads: positiveInt,
});

/** The projections of an attention layer, in checkpoint order. */
export const ATTENTION_PROJECTIONS = ['q', 'k', 'v', 'out'] as const;

/** `attention`: see {@link attentionLayerSchema}. */
export const attention: MaskedLayerType<typeof attentionLayerSchema> = {
  arity: 'masked',
  schema: attentionLayerSchema,
  shapes(layer, input, mask, where) {
    const [tokens, width] = expectSequence('attention', input, where);
    if (width % layer.heads !== 0) throw new SpecError(`${where}: heads: the width ${width} does not split into ${layer.heads} heads`);
    expectMask('attention', tokens, mask, where);
    const parameters = ATTENTION_PROJECTIONS.flatMap((p) => [
      parameter(layer, `${p}Kernel`, [width, width], 'kernel'),
      parameter(layer, `${p}Bias`, [width], 'bias'),
    ]);
    return { outputShape: input, parameters };
  },
};
