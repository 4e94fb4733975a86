import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { nodeFields, positiveInt } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * Token embedding: integer ids `[T]` (an `int32` model input) → rows of a table `[T, units]`.
 * Parameter: `embeddings [vocabSize, units]` (PyTorch's `nn.Embedding.weight`). A token equal to
 * `paddingIndex` embeds to zeros: its row is never read, so never trained (PyTorch's `padding_idx`,
 * whose row stays zero). Ids outside `[0, vocabSize)` are refused when the model runs.
 */
export const embeddingLayerSchema = z.strictObject({
  type: z.literal('embedding'),
  ...nodeFields,
  vocabSize: positiveInt,
  units: positiveInt,
  paddingIndex: z.number().int().nonnegative().optional(),
});

/** `embedding`: see {@link embeddingLayerSchema}. */
export const embedding: SingleInputLayerType<typeof embeddingLayerSchema> = {
  arity: 'one',
  schema: embeddingLayerSchema,
  takesIds: true,
  shapes(layer, input, where) {
    if (input.length !== 1) throw new SpecError(`${where}: type: embedding needs token ids [tokens] but receives [${input}]`);
    if (layer.paddingIndex !== undefined && layer.paddingIndex >= layer.vocabSize)
      throw new SpecError(`${where}: paddingIndex: ${layer.paddingIndex} is not below vocabSize ${layer.vocabSize}`);
    return {
      outputShape: [input[0]!, layer.units],
      parameters: [parameter(layer, 'embeddings', [layer.vocabSize, layer.units], 'kernel')],
    };
  },
};
