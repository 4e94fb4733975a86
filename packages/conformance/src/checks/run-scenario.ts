import type { Backend, NamedTensors } from '@headstart/core';
import { sampleWeights } from '../fixtures/sample-data.js';
import type { TrainingScenario } from '../fixtures/training-scenarios.js';

/** What a backend did in a training scenario. */
export interface TrainingRecord {
  /** The starting weights. */
  initial: NamedTensors;
  /** Loss reported by each step. */
  losses: number[];
  /** All weights (statistics included) after each step. */
  weights: NamedTensors[];
  /** Optimizer state after the last step. */
  state: NamedTensors;
}

/** Seed of fresh weights and default dropout seed of models the checks create. */
export const MODEL_SEED = 3;

/** Run a scenario on a backend from its fixed weights, recording every step. */
export async function runScenario(backend: Backend, scenario: TrainingScenario): Promise<TrainingRecord> {
  const initial = sampleWeights(scenario.spec, scenario.weightsSeed);
  const model = await backend.createModel(scenario.spec, initial, { seed: MODEL_SEED });
  const trainer = model.trainer(scenario.trainer);
  try {
    const record: TrainingRecord = { initial, losses: [], weights: [], state: new Map() };
    for (const [i, batch] of scenario.batches.entries()) {
      record.losses.push((await trainer.step(batch, { lrScale: scenario.lrScales[i] ?? 1 })).loss);
      record.weights.push(await model.getWeights());
    }
    record.state = await trainer.getState();
    return record;
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
