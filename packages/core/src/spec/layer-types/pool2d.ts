import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { nodeFields, padding, pair } from './fields.js';
import { checkPoolPads, expectImage, windowOutput } from './geometry.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * Max or average pooling over channels-last input. No parameters. With explicit `padding`, max
 * pooling never picks a pad; average pooling divides by the window's pixels inside the image unless
 * `countIncludePad` (PyTorch's `AvgPool2d` default) counts the pads too.
 */
export const pool2dLayerSchema = z.strictObject({
  type: z.enum(['maxPool2d', 'avgPool2d']),
  ...nodeFields,
  poolSize: pair.default(2),
  strides: pair.optional(),
  padding,
  countIncludePad: z.boolean().optional(),
});

/** `maxPool2d` and `avgPool2d`: see {@link pool2dLayerSchema}. */
export const pool2d: SingleInputLayerType<typeof pool2dLayerSchema> = {
  arity: 'one',
  schema: pool2dLayerSchema,
  shapes(layer, input, where) {
    const [h, w, c] = expectImage(input, where, layer.type);
    if (layer.type === 'maxPool2d' && layer.countIncludePad !== undefined)
      throw new SpecError(`${where}: countIncludePad: only avgPool2d averages over pads; remove it from maxPool2d`);
    checkPoolPads(layer.padding, layer.poolSize, where);
    const output = windowOutput([h, w], layer.poolSize, layer.strides ?? layer.poolSize, layer.padding, where, 'poolSize');
    return { outputShape: [...output, c], parameters: [] };
  },
};
