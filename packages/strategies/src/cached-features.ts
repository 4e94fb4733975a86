import { outputShape, type Dataset, type ModelSpec, type NamedTensors, type StrategyContext } from '@headstart/core';
import { weightsFor } from './weights.js';

/** A base gives the same output every time for the same input: no dropout (frozen batch-norm is deterministic). */
export function isDeterministic(base: ModelSpec): boolean {
  return base.layers.every((l) => l.type !== 'dropout');
}

/** The frozen base's output for every sample of `data`, as a dataset the head can train on. */
export async function baseFeatures(ctx: StrategyContext, base: ModelSpec, weights: NamedTensors, data: Dataset[]): Promise<Dataset[]> {
  const model = await ctx.backend.createModel(base, weightsFor(base, weights), { seed: ctx.seed });
  try {
    const sampleShape = outputShape(base);
    const out: Dataset[] = [];
    for (const d of data) out.push({ ...d, sampleShape, features: await model.predict(d.features, d.size), featureNames: undefined });
    return out;
  } finally {
    model.dispose();
  }
}
