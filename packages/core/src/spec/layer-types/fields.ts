import { z } from 'zod';

/** Element-wise activations a layer may apply. */
export const activationSchema = z.enum(['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The fields every layer (graph node) has: its `name`, and the nodes it takes as `inputs` (by name;
 * `input` is the model input). Without `inputs` a layer takes the layer listed before it (the first
 * layer: the model input), so a plain list of layers is a chain, as it always was.
 */
export const nodeFields = {
  name: z.string().regex(NAME, 'a name of letters, digits and _ (it prefixes parameter names like "<name>.kernel")'),
  inputs: z.array(z.string().regex(NAME, 'the name of a layer, or "input" for the model input')).min(1).optional(),
};

/** A positive integer. */
export const positiveInt = z.number().int().positive();
/** `n`, or `[h, w]`, each positive. */
export const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
/** Keras-style window padding. */
export const padding = z.enum(['valid', 'same']).default('valid');
