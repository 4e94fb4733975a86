import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { nodeFields, positiveInt } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';
import { expectSequence } from './sequence-fields.js';

/**
 * Learned position embeddings added to a sequence `[T, D]`: row `t` of `embeddings [maxLength, D]`
 * is added to token `t` (BERT's `position_embeddings`; the first `T` rows are used). `maxLength`
 * defaults to `T`.
 */
export const positionEmbeddingLayerSchema = z.strictObject({
  type: z.literal('positionEmbedding'),
  ...nodeFields,
  maxLength: positiveInt.optional(),
});

/** `positionEmbedding`: see {@link positionEmbeddingLayerSchema}. */
export const positionEmbedding: SingleInputLayerType<typeof positionEmbeddingLayerSchema> = {
  arity: 'one',
  schema: positionEmbeddingLayerSchema,
  shapes(layer, input, where) {
    const [tokens, width] = expectSequence('positionEmbedding', input, where);
    const rows = layer.maxLength ?? tokens;
    if (rows < tokens) throw new SpecError(`${where}: maxLength: ${rows} is shorter than the sequence it receives (${tokens} tokens)`);
    return { outputShape: input, parameters: [parameter(layer, 'embeddings', [rows, width], 'kernel')] };
  },
};
