import type { Backend, EvalResult, ModelSpec, NamedTensors } from '@headstart/core';
import type { CheckContext, ConformanceCheck } from '../check.js';
import { sampleBatch, sampleInputs, sampleWeights } from '../fixtures/sample-data.js';
import { CNN_SPEC, MLP_SPEC, STRIDED_SPEC } from '../fixtures/specs.js';
import { TRAINING_SCENARIOS, trainableNames, type TrainingScenario, type TrainingScenarioName } from '../fixtures/training-scenarios.js';
import { lossChecks } from './loss-checks.js';
import { MODEL_SEED, runScenario } from './run-scenario.js';

/** Which backend a comparison check holds the tested one against. */
export interface Expected {
  /** Id prefix: `float64` or `reference`. */
  prefix: string;
  /** For titles: `the float64 reference`. */
  label: string;
  pick(context: CheckContext): Backend;
}

const PREDICTION_SPECS = { mlp: MLP_SPEC, cnn: CNN_SPEC, strided: STRIDED_SPEC };

/**
 * Checks that run the same fixed computations on the tested backend and on `expected` and compare
 * the numbers: predictions of three specs, evaluation, training steps of every scenario, the
 * optimizer state they leave, and training with the cross-entropy's loss options.
 */
export function comparisonChecks(expected: Expected): ConformanceCheck[] {
  return [
    ...predictionChecks(expected),
    evaluateCheck(expected),
    ...trainingChecks(expected),
    optimizerStateCheck(expected),
    ...lossChecks(expected),
  ];
}

function predictionChecks(expected: Expected): ConformanceCheck[] {
  return Object.entries(PREDICTION_SPECS).map(([name, spec], index) => ({
    id: `${expected.prefix}.predict.${name}`,
    title: `predictions of the ${name} model (${spec.layers.map((l) => l.type).join(' → ')}) match ${expected.label}`,
    exercises: { specs: [spec] },
    async run(ctx) {
      const weights = sampleWeights(spec, 100 + index);
      const x = sampleInputs(spec, 5, 200 + index);
      const actual = await predictOn(ctx.backend, spec, weights, x, 5);
      ctx.expect.close('predictions of 5 samples', actual, await predictOn(expected.pick(ctx), spec, weights, x, 5));
    },
  }));
}

/** Predictions of a model of `spec` with `weights` on `backend`; the model is disposed after. */
export async function predictOn(
  backend: Backend,
  spec: ModelSpec,
  weights: NamedTensors,
  x: Float32Array,
  size: number,
): Promise<Float32Array> {
  const model = await backend.createModel(spec, weights, { seed: MODEL_SEED });
  try {
    return await model.predict(x, size);
  } finally {
    model.dispose();
  }
}

function evaluateCheck(expected: Expected): ConformanceCheck {
  return {
    id: `${expected.prefix}.evaluate`,
    title: `Trainer.evaluate gives the summed loss and the outputs of ${expected.label} (inference mode: no dropout, moving statistics)`,
    exercises: { specs: [CNN_SPEC, STRIDED_SPEC] },
    async run(ctx) {
      for (const [spec, loss] of [
        [CNN_SPEC, 'softmaxCrossEntropy'],
        [STRIDED_SPEC, 'mse'],
      ] as const) {
        const actual = await evaluateOn(ctx.backend, spec, loss);
        const wanted = await evaluateOn(expected.pick(ctx), spec, loss);
        ctx.expect.close(`${loss}: summed loss of 6 samples`, actual.lossSum, wanted.lossSum);
        ctx.expect.close(`${loss}: outputs of 6 samples`, actual.outputs, wanted.outputs);
      }
    },
  };
}

async function evaluateOn(backend: Backend, spec: ModelSpec, loss: 'softmaxCrossEntropy' | 'mse'): Promise<EvalResult> {
  const model = await backend.createModel(spec, sampleWeights(spec, 301), { seed: MODEL_SEED });
  const names = trainableNames(spec);
  const trainer = model.trainer({ trainable: names, groups: [{ name: 'all', params: names, lr: 0.1 }], optimizer: { type: 'sgd' }, loss });
  try {
    return await trainer.evaluate(sampleBatch(spec, loss, 6, 300));
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

function trainingChecks(expected: Expected): ConformanceCheck[] {
  return (Object.keys(TRAINING_SCENARIOS) as TrainingScenarioName[]).map((name) => {
    const scenario = TRAINING_SCENARIOS[name];
    return {
      id: `${expected.prefix}.train.${name}`,
      title: `two training steps give the losses, parameters and batch-norm statistics of ${expected.label}: ${scenario.description}`,
      exercises: { specs: [scenario.spec], optimizers: [scenario.trainer.optimizer.type] },
      run: (ctx) => compareScenario(ctx, expected, scenario),
    };
  });
}

/** Run a scenario on the tested backend and on `expected`: the losses and all weights after each step must agree. */
export async function compareScenario(ctx: CheckContext, expected: Expected, scenario: TrainingScenario): Promise<void> {
  const actual = await runScenario(ctx.backend, scenario);
  const wanted = await runScenario(expected.pick(ctx), scenario);
  actual.weights.forEach((weights, i) => {
    ctx.expect.close(`loss of step ${i + 1}`, actual.losses[i]!, wanted.losses[i]!);
    ctx.expect.close(`weights after step ${i + 1}`, weights, wanted.weights[i]!);
  });
}

function optimizerStateCheck(expected: Expected): ConformanceCheck {
  return {
    id: `${expected.prefix}.optimizer-state`,
    title: `optimizer state has the tensors of ${expected.label} (optim.momentum.<param>; optim.m.<param>, optim.v.<param>; optim.step) and their values`,
    async run(ctx) {
      for (const name of ['sgd', 'adam'] as const) {
        const actual = await runScenario(ctx.backend, TRAINING_SCENARIOS[name]);
        const wanted = await runScenario(expected.pick(ctx), TRAINING_SCENARIOS[name]);
        ctx.expect.close(`${name}: optimizer state after 2 steps`, actual.state, wanted.state);
      }
    },
  };
}
