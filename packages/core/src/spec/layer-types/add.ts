import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { sameShape } from '../../tensors.js';
import { nodeFields } from './fields.js';
import type { MergeLayerType } from './layer-type.js';

/** Element-wise sum of two or more inputs of one shape (a residual connection). No parameters. */
export const addLayerSchema = z.strictObject({ type: z.literal('add'), ...nodeFields });

/** `add`: see {@link addLayerSchema}. */
export const add: MergeLayerType<typeof addLayerSchema> = {
  arity: 'merge',
  schema: addLayerSchema,
  shapes(_layer, inputs, where) {
    const [first, ...rest] = inputs;
    const other = rest.find((input) => !sameShape(input.shape, first!.shape));
    if (other) {
      throw new SpecError(
        `${where}: inputs: add needs inputs of one shape, but "${first!.name}" gives [${first!.shape}] and "${other.name}" gives [${other.shape}]`,
      );
    }
    return { outputShape: [...first!.shape], parameters: [] };
  },
};
