import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { activationSchema, nodeFields, positiveInt } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/** Fully connected layer. Parameters: `kernel [in, out]`, `bias [out]`. */
export const denseLayerSchema = z.strictObject({
  type: z.literal('dense'),
  ...nodeFields,
  units: positiveInt,
  activation: activationSchema.default('linear'),
  useBias: z.boolean().default(true),
});

/** `dense`: see {@link denseLayerSchema}. */
export const dense: SingleInputLayerType<typeof denseLayerSchema> = {
  arity: 'one',
  schema: denseLayerSchema,
  shapes(layer, input, where) {
    if (input.length !== 1)
      throw new SpecError(`${where}: type: dense needs flat input but receives [${input}]; add a flatten layer before it`);
    const parameters = [parameter(layer, 'kernel', [input[0]!, layer.units], 'kernel')];
    if (layer.useBias) parameters.push(parameter(layer, 'bias', [layer.units], 'bias'));
    return { outputShape: [layer.units], parameters };
  },
};
