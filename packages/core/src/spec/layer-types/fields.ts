import { z } from 'zod';

/** Element-wise activations a layer may apply. */
export const activationSchema = z.enum(['linear', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax']);

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

/** The name of a model input (see the spec's `inputs`): letters, digits and _. */
export const nameField = z.string().regex(NAME, 'a name of letters, digits and _');

/** A positive integer. */
export const positiveInt = z.number().int().positive();
/** `n`, or `[h, w]`, each positive. */
export const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
const pad = z.number().int().nonnegative();

/**
 * Window padding: Keras's `valid` (none) and `same` (`ceil(size / stride)` outputs), or explicit
 * zero padding as PyTorch gives it: `p` on every side, `[h, w]` (top and bottom `h`, left and right
 * `w`), or `[top, left, bottom, right]` (ONNX's `pads` order).
 */
export const padding = z
  .union([z.enum(['valid', 'same']), pad, z.tuple([pad, pad]), z.tuple([pad, pad, pad, pad])], {
    error: 'expected "valid", "same", a pad p ≥ 0 for every side, [h, w] or [top, left, bottom, right]',
  })
  .default('valid');

/** A validated {@link padding}. */
export type WindowPadding = z.infer<typeof padding>;
