import { z } from 'zod';
import { nodeFields } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/** Dropout with the given drop rate, active only while training. No parameters. */
export const dropoutLayerSchema = z.strictObject({
  type: z.literal('dropout'),
  ...nodeFields,
  rate: z.number().min(0).lt(1),
});

/** `dropout`: see {@link dropoutLayerSchema}. */
export const dropout: SingleInputLayerType<typeof dropoutLayerSchema> = {
  arity: 'one',
  schema: dropoutLayerSchema,
  shapes: (_layer, input) => ({ outputShape: input, parameters: [] }),
};
