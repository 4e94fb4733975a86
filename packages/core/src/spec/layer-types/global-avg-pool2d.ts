import { z } from 'zod';
import { nodeFields } from './fields.js';
import { expectImage } from './geometry.js';
import type { SingleInputLayerType } from './layer-type.js';

/** Average over height and width, leaving `[channels]`. No parameters. */
export const globalAvgPool2dLayerSchema = z.strictObject({ type: z.literal('globalAvgPool2d'), ...nodeFields });

/** `globalAvgPool2d`: see {@link globalAvgPool2dLayerSchema}. */
export const globalAvgPool2d: SingleInputLayerType<typeof globalAvgPool2dLayerSchema> = {
  arity: 'one',
  schema: globalAvgPool2dLayerSchema,
  shapes(layer, input, where) {
    const [, , c] = expectImage(input, where, layer.type);
    return { outputShape: [c], parameters: [] };
  },
};
