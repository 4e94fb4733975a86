import type { Backend, Batch, Model, ModelSpec, NamedTensors, Trainer, TrainerOptions } from '@headstart/core';
import { sampleBatch, sampleWeights } from '../fixtures/sample-data.js';
import { trainableNames } from '../fixtures/training-scenarios.js';
import { MODEL_SEED } from './run-scenario.js';

/** A model and its trainer, to step a few times and then checkpoint or continue. */
export interface TrainingSession {
  model: Model;
  trainer: Trainer;
  /** Take the steps on these batches; resolves to the weights after the last. */
  steps(batches: Batch[]): Promise<NamedTensors>;
  dispose(): void;
}

/** Adam on every trainable parameter, with a fixed dropout seed. */
export function adamEverywhere(spec: ModelSpec): TrainerOptions {
  const names = trainableNames(spec);
  return {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.01 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    seed: 5,
  };
}

/** Seeded batches for a softmax classifier, one per seed. */
export function classifierBatches(spec: ModelSpec, seeds: number[]): Batch[] {
  return seeds.map((seed) => sampleBatch(spec, 'softmaxCrossEntropy', 8, seed));
}

/**
 * A model on `backend` from `weights` (else `sampleWeights(spec, weightsSeed)`), with a trainer of
 * `options` restored to `state` when given.
 */
export async function startTraining(
  backend: Backend,
  spec: ModelSpec,
  options: TrainerOptions,
  from: { weights?: NamedTensors | undefined; weightsSeed?: number | undefined; state?: NamedTensors | undefined },
): Promise<TrainingSession> {
  const model = await backend.createModel(spec, from.weights ?? sampleWeights(spec, from.weightsSeed ?? 0), { seed: MODEL_SEED });
  const trainer = model.trainer(options);
  try {
    if (from.state) await trainer.setState(from.state);
  } catch (error) {
    trainer.dispose();
    model.dispose();
    throw error;
  }
  return {
    model,
    trainer,
    async steps(batches) {
      for (const batch of batches) await trainer.step(batch);
      return model.getWeights();
    },
    dispose() {
      trainer.dispose();
      model.dispose();
    },
  };
}
