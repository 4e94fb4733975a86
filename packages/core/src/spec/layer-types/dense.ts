import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { activationSchema, nodeFields, positiveInt } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * Fully connected layer on flat values `[in]`, or on each token of a sequence `[T, in]` (to
 * `[T, units]`). Parameters: `kernel [in, out]`, `bias [out]`.
 */
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
    // A sequence [T, in] is a stack of flat values; an image [h, w, c] still needs a flatten first.
    if (input.length !== 1 && input.length !== 2)
      throw new SpecError(`${where}: type: dense needs flat input but receives [${input}]; add a flatten layer before it`);
    const features = input[input.length - 1]!;
    const parameters = [parameter(layer, 'kernel', [features, layer.units], 'kernel')];
    if (layer.useBias) parameters.push(parameter(layer, 'bias', [layer.units], 'bias'));
    return { outputShape: [...input.slice(0, -1), layer.units], parameters };
  },
};
