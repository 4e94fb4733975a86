import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { nodeFields } from './fields.js';
import type { MaskedLayerType } from './layer-type.js';
import { expectMask, expectSequence } from './sequence-fields.js';

/**
 * A sequence `[T, D]` pooled to `[D]`: `first` takes the first token (BERT's `[CLS]`), `mean`
 * averages the tokens, only those its optional padding mask `[T]` marks 1 when it has one (a sample
 * with no token gives zeros). No parameters.
 */
export const sequencePoolLayerSchema = z.strictObject({
  type: z.literal('sequencePool'),
  ...nodeFields,
  mode: z.enum(['first', 'mean']),
});

/** `sequencePool`: see {@link sequencePoolLayerSchema}. */
export const sequencePool: MaskedLayerType<typeof sequencePoolLayerSchema> = {
  arity: 'masked',
  schema: sequencePoolLayerSchema,
  shapes(layer, input, mask, where) {
    const [tokens, width] = expectSequence('sequencePool', input, where);
    if (layer.mode === 'first' && mask)
      throw new SpecError(
        `${where}: inputs: sequencePool mode first takes no mask (the first token is never padding); drop "${mask.name}"`,
      );
    expectMask('sequencePool', tokens, mask, where);
    return { outputShape: [width], parameters: [] };
  },
};
