import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { sameShape } from '../../tensors.js';
import { nodeFields } from './fields.js';
import type { MergeLayerType } from './layer-type.js';

/**
 * Two or more inputs joined along the last (channels) axis; their other dimensions must be equal.
 * No parameters.
 */
export const concatLayerSchema = z.strictObject({ type: z.literal('concat'), ...nodeFields });

/** `concat`: see {@link concatLayerSchema}. */
export const concat: MergeLayerType<typeof concatLayerSchema> = {
  arity: 'merge',
  schema: concatLayerSchema,
  shapes(_layer, inputs, where) {
    const [first, ...rest] = inputs;
    const leading = first!.shape.slice(0, -1);
    const other = rest.find((input) => !sameShape(input.shape.slice(0, -1), leading));
    if (other) {
      throw new SpecError(
        `${where}: inputs: concat joins along the last axis, so all other dimensions must be equal, but "${first!.name}" gives [${first!.shape}] and "${other.name}" gives [${other.shape}]`,
      );
    }
    const channels = inputs.reduce((sum, input) => sum + input.shape[input.shape.length - 1]!, 0);
    return { outputShape: [...leading, channels], parameters: [] };
  },
};
