import {
  outputShape,
  predictRows,
  type Dataset,
  type ModelSpec,
  type NamedTensors,
  type StrategyContext,
  type TrainingData,
} from '@headstart/core';
import { weightsFor } from './weights.js';

/** A base gives the same output every time for the same input: no dropout (frozen batch-norm is deterministic). */
export function isDeterministic(base: ModelSpec): boolean {
  return base.layers.every((l) => l.type !== 'dropout');
}

/** Samples the base scores per call, bounding memory on large data. */
const FEATURE_CHUNK = 1024;

/**
 * The frozen base's output for every sample of `data` (features, or token sequences through the
 * base's named inputs), as a float dataset the head can train on.
 */
export async function baseFeatures(ctx: StrategyContext, base: ModelSpec, weights: NamedTensors, data: TrainingData[]): Promise<Dataset[]> {
  const model = await ctx.backend.createModel(base, weightsFor(base, weights), { seed: ctx.seed });
  try {
    const sampleShape = outputShape(base);
    const width = sampleShape.reduce((a, b) => a * b, 1);
    const out: Dataset[] = [];
    for (const d of data) {
      const features = new Float32Array(d.size * width);
      for (let start = 0; start < d.size; start += FEATURE_CHUNK) {
        const count = Math.min(FEATURE_CHUNK, d.size - start);
        features.set(await predictRows(model, d, start, count), start * width);
      }
      out.push({ size: d.size, sampleShape, features, labels: d.labels, labelMap: d.labelMap, source: d.source });
    }
    return out;
  } finally {
    model.dispose();
  }
}
