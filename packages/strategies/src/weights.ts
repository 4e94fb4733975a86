import {
  HeadstartError,
  initializeWeights,
  parameterShapes,
  sameShape,
  type ModelSpec,
  type NamedTensors,
  type Rng,
} from '@headstart/core';

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
 * Weights for `spec`: fresh seeded values for the layers in `fresh` (a new head), `keep`'s tensors
 * everywhere else.
 * @throws HeadstartError (BAD_INPUT) when `keep` lacks a parameter of another layer or holds it in
 * another shape: that layer would otherwise start from fresh values without being asked to.
 */
export function mergeWeights(spec: ModelSpec, keep: NamedTensors, fresh: readonly string[], rng: Rng): NamedTensors {
  const merged = initializeWeights(spec, rng.fork());
  for (const p of parameterShapes(spec)) {
    if (fresh.includes(p.layer)) continue;
    const kept = keep.get(p.name);
    if (!kept || !sameShape(kept.shape, p.shape)) {
      const found = kept ? `holds it as [${kept.shape}]` : 'lacks it';
      throw new HeadstartError('BAD_INPUT', `weights: ${p.name} [${p.shape}] is not a new layer's, but the starting weights ${found}`);
    }
    merged.set(p.name, kept);
  }
  return merged;
}
