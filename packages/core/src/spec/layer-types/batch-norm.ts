import { z } from 'zod';
import { parameter } from '../parameter-shape.js';
import { nodeFields } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * Batch normalisation over the last axis. Parameters: `gamma`, `beta` (trainable) and
 * `movingMean`, `movingVariance` (statistics, never trained by gradient).
 */
export const batchNormLayerSchema = z.strictObject({
  type: z.literal('batchNorm'),
  ...nodeFields,
  momentum: z.number().min(0).max(1).default(0.99),
  epsilon: z.number().positive().default(1e-3),
});

/** `batchNorm`: see {@link batchNormLayerSchema}. */
export const batchNorm: SingleInputLayerType<typeof batchNormLayerSchema> = {
  arity: 'one',
  schema: batchNormLayerSchema,
  shapes(layer, input) {
    const channels = input[input.length - 1]!;
    return {
      outputShape: input,
      parameters: [
        parameter(layer, 'gamma', [channels], 'scale'),
        parameter(layer, 'beta', [channels], 'shift'),
        parameter(layer, 'movingMean', [channels], 'statistic'),
        parameter(layer, 'movingVariance', [channels], 'statistic'),
      ],
    };
  },
};
