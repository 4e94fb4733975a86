import { z } from 'zod';
import { parameter } from '../parameter-shape.js';
import { nodeFields } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * Layer normalisation over the last axis, per position: `gamma · (x − mean)/√(variance + ε) + beta`
 * with the biased variance (PyTorch's `nn.LayerNorm`, whose default ε it shares). Parameters:
 * `gamma [D]`, `beta [D]`.
 */
export const layerNormLayerSchema = z.strictObject({
  type: z.literal('layerNorm'),
  ...nodeFields,
  epsilon: z.number().positive().default(1e-5),
});

/** `layerNorm`: see {@link layerNormLayerSchema}. */
export const layerNorm: SingleInputLayerType<typeof layerNormLayerSchema> = {
  arity: 'one',
  schema: layerNormLayerSchema,
  shapes(layer, input) {
    const width = input[input.length - 1]!;
    return {
      outputShape: input,
      parameters: [parameter(layer, 'gamma', [width], 'scale'), parameter(layer, 'beta', [width], 'shift')],
    };
  },
};
