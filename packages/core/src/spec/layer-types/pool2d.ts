import { z } from 'zod';
import { nodeFields, padding, pair } from './fields.js';
import { asPair, expectImage, windowOut } from './geometry.js';
import type { SingleInputLayerType } from './layer-type.js';

/** Max or average pooling over channels-last input. No parameters. */
export const pool2dLayerSchema = z.strictObject({
  type: z.enum(['maxPool2d', 'avgPool2d']),
  ...nodeFields,
  poolSize: pair.default(2),
  strides: pair.optional(),
  padding,
});

/** `maxPool2d` and `avgPool2d`: see {@link pool2dLayerSchema}. */
export const pool2d: SingleInputLayerType<typeof pool2dLayerSchema> = {
  arity: 'one',
  schema: pool2dLayerSchema,
  shapes(layer, input, where) {
    const [h, w, c] = expectImage(input, where, layer.type);
    const [ph, pw] = asPair(layer.poolSize);
    const [sh, sw] = asPair(layer.strides ?? layer.poolSize);
    return {
      outputShape: [windowOut(h, ph, sh, layer.padding, where, 'poolSize'), windowOut(w, pw, sw, layer.padding, where, 'poolSize'), c],
      parameters: [],
    };
  },
};
