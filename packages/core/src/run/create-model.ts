import type { Backend, Model } from '../backend.js';
import type { Rng } from '../rng.js';
import { initializeWeights } from '../spec/initializers.js';
import type { ModelSpec } from '../spec/model-spec.js';
import type { NamedTensors } from '../tensors.js';
import type { EventSink } from '../train/events.js';

/**
 * A live model for a run, with `weights` or fresh ones drawn from the run's RNG (so every backend
 * starts from the same numbers); emits a `model` event naming the engine.
 */
export async function createRunModel(
  backend: Backend,
  spec: ModelSpec,
  weights: NamedTensors | undefined,
  seed: number,
  rng: Rng,
  emit: EventSink,
): Promise<Model> {
  const model = await backend.createModel(spec, weights ?? initializeWeights(spec, rng.fork()), { seed });
  emit({ type: 'model', layers: spec.layers.length, engine: model.engine });
  return model;
}
