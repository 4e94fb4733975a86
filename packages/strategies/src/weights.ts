import { initializeWeights, parameterShapes, sameShape, type ModelSpec, type NamedTensors, type Rng } from '@headstart/core';

/** The tensors of `weights` that are parameters of `spec` (same name and shape). */
export function weightsFor(spec: ModelSpec, weights: NamedTensors): NamedTensors {
  const picked: NamedTensors = new Map();
  for (const p of parameterShapes(spec)) {
    const w = weights.get(p.name);
    if (w && sameShape(w.shape, p.shape)) picked.set(p.name, w);
  }
  return picked;
}

/**
 * Weights for `spec`: fresh seeded values for the layers in `fresh` (a new head) and for anything
 * `keep` lacks, `keep`'s tensors everywhere else.
 */
export function mergeWeights(spec: ModelSpec, keep: NamedTensors, fresh: readonly string[], rng: Rng): NamedTensors {
  const merged = initializeWeights(spec, rng.fork());
  for (const p of parameterShapes(spec)) {
    const kept = keep.get(p.name);
    if (!fresh.includes(p.layer) && kept && sameShape(kept.shape, p.shape)) merged.set(p.name, kept);
  }
  return merged;
}
