import { z } from 'zod';
import { sizeOf } from '../../tensors.js';
import { nodeFields } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/** Row-major (channels-last) flatten to one dimension. No parameters. */
export const flattenLayerSchema = z.strictObject({ type: z.literal('flatten'), ...nodeFields });

/** `flatten`: see {@link flattenLayerSchema}. */
export const flatten: SingleInputLayerType<typeof flattenLayerSchema> = {
  arity: 'one',
  schema: flattenLayerSchema,
  shapes: (_layer, input) => ({ outputShape: [sizeOf(input)], parameters: [] }),
};
