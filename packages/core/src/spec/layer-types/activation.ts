import { z } from 'zod';
import { activationSchema, nodeFields } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/** A stand-alone activation. No parameters. */
export const activationLayerSchema = z.strictObject({
  type: z.literal('activation'),
  ...nodeFields,
  activation: activationSchema,
});

/** `activation`: see {@link activationLayerSchema}. */
export const activation: SingleInputLayerType<typeof activationLayerSchema> = {
  arity: 'one',
  schema: activationLayerSchema,
  shapes: (_layer, input) => ({ outputShape: input, parameters: [] }),
};
