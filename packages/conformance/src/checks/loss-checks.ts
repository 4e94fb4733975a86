import {
  createRng,
  isUserError,
  type Backend,
  type Batch,
  type LossOptions,
  type NamedTensors,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import type { CheckContext, ConformanceCheck, Skip } from '../check.js';
import { ConformanceFailure } from '../conformance-failure.js';
import { sampleBatch, sampleWeights } from '../fixtures/sample-data.js';
import { MLP_SPEC } from '../fixtures/specs.js';
import { trainableNames } from '../fixtures/training-scenarios.js';
import type { Expected } from './comparison-checks.js';
import { MODEL_SEED } from './run-scenario.js';

const SPEC = MLP_SPEC;
const CLASSES = 3;
const CLASS_WEIGHTS = [0.5, 2, 1.25];

/** A batch with soft labels (seeded rows summing to 1) in place of labels. */
function softBatch(seed: number): Batch {
  const { x, size } = sampleBatch(SPEC, 'softmaxCrossEntropy', 8, seed);
  const rng = createRng(seed);
  const targets = new Float32Array(size * CLASSES);
  for (let s = 0; s < size; s++) {
    const row = Array.from({ length: CLASSES }, () => rng.next() ** 2);
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((p, c) => (targets[s * CLASSES + c] = p / total));
  }
  return { x, size, targets };
}

/** A batch with labels and a teacher's logits. */
function teacherBatch(seed: number): Batch {
  const rng = createRng(seed + 1);
  const batch = sampleBatch(SPEC, 'softmaxCrossEntropy', 8, seed);
  return { ...batch, teacher: Float32Array.from({ length: batch.size * CLASSES }, () => 2 * rng.normal()) };
}

const hardBatch = (seed: number): Batch => sampleBatch(SPEC, 'softmaxCrossEntropy', 8, seed);

interface LossCase {
  id: string;
  title: string;
  options: LossOptions;
  batch(seed: number): Batch;
}

const CASES: LossCase[] = [
  { id: 'label-smoothing', title: 'label smoothing 0.1', options: { labelSmoothing: 0.1 }, batch: hardBatch },
  {
    id: 'class-weights',
    title: 'class weights with label smoothing 0.2 (weighted mean over labels)',
    options: { classWeights: CLASS_WEIGHTS, labelSmoothing: 0.2 },
    batch: hardBatch,
  },
  {
    id: 'soft-labels',
    title: 'soft labels (probability targets) with class weights',
    options: { classWeights: CLASS_WEIGHTS },
    batch: softBatch,
  },
  {
    id: 'distillation',
    title: "distillation from a teacher's logits (T 2, alpha 0.7) with label smoothing 0.1",
    options: { distillation: { temperature: 2, alpha: 0.7 }, labelSmoothing: 0.1 },
    batch: teacherBatch,
  },
];

/**
 * Checks of the cross-entropy's loss options: two SGD steps with each option give the losses and
 * weights of `expected`, evaluation gives its summed loss, and `stepMany` (when the backend has it)
 * matches too. A backend that refuses loss options with one clear line skips them.
 */
export function lossChecks(expected: Expected): ConformanceCheck[] {
  return [
    ...CASES.map((c) => ({
      id: `${expected.prefix}.loss.${c.id}`,
      title: `training steps and evaluation with ${c.title} match ${expected.label}`,
      exercises: { specs: [SPEC], optimizers: ['sgd' as const] },
      run: (ctx: CheckContext) => compareCase(ctx, expected, c),
    })),
    {
      id: `${expected.prefix}.loss.step-many`,
      title: `stepMany with distillation, class weights and label smoothing matches single steps of ${expected.label}`,
      exercises: { specs: [SPEC], optimizers: ['sgd'] },
      run: (ctx) => compareStepMany(ctx, expected),
    },
  ];
}

function trainerOptions(lossOptions: LossOptions): TrainerOptions {
  const names = trainableNames(SPEC);
  return {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.5 }],
    // SGD, not Adam: its step is the gradient itself, so a wrongly scaled gradient shows in the weights.
    optimizer: { type: 'sgd', momentum: 0.9 },
    loss: 'softmaxCrossEntropy',
    lossOptions,
  };
}

interface LossRecord {
  losses: number[];
  weights: NamedTensors;
  lossSum?: number | undefined;
}

async function compareCase(ctx: CheckContext, expected: Expected, c: LossCase): Promise<Skip | undefined> {
  const run = (backend: Backend) =>
    train(backend, c.options, async (trainer, record) => {
      for (const seed of [410, 411]) record.losses.push((await trainer.step(c.batch(seed))).loss);
      record.lossSum = (await trainer.evaluate(c.batch(412))).lossSum;
    });
  const actual = await run(ctx.backend);
  if ('skipped' in actual) return actual;
  const wanted = await run(expected.pick(ctx));
  if ('skipped' in wanted) throw new ConformanceFailure(`${expected.label} refused the loss options: ${wanted.skipped}`);
  compare(ctx, actual, wanted);
  ctx.expect.close('summed loss of an evaluated batch', actual.lossSum!, wanted.lossSum!);
  return undefined;
}

async function compareStepMany(ctx: CheckContext, expected: Expected): Promise<Skip | undefined> {
  const options: LossOptions = { distillation: { temperature: 3, alpha: 0.5 }, classWeights: CLASS_WEIGHTS, labelSmoothing: 0.1 };
  const batches = [420, 421, 422].map(teacherBatch);
  const actual = await train(ctx.backend, options, async (trainer, record) => {
    if (!trainer.stepMany) return;
    record.losses.push(...(await trainer.stepMany(batches, [1, 0.5, 1])).map((r) => r.loss));
  });
  if ('skipped' in actual) return actual;
  if (actual.losses.length === 0) return { skipped: 'the backend has no stepMany' };
  const wanted = await train(expected.pick(ctx), options, async (trainer, record) => {
    for (const [i, batch] of batches.entries()) record.losses.push((await trainer.step(batch, { lrScale: [1, 0.5, 1][i]! })).loss);
  });
  if ('skipped' in wanted) throw new ConformanceFailure(`${expected.label} refused the loss options: ${wanted.skipped}`);
  compare(ctx, actual, wanted);
  return undefined;
}

function compare(ctx: CheckContext, actual: LossRecord, wanted: LossRecord): void {
  wanted.losses.forEach((loss, i) => ctx.expect.close(`loss of step ${i + 1}`, actual.losses[i]!, loss));
  ctx.expect.close('weights after the steps', actual.weights, wanted.weights);
}

/**
 * A model from fixed weights and a trainer with `lossOptions`, driven by `drive`; a one-line user
 * error from the trainer or its first step is the backend's refusal of loss options (a skip).
 */
async function train(
  backend: Backend,
  lossOptions: LossOptions,
  drive: (trainer: Trainer, record: LossRecord) => Promise<void>,
): Promise<LossRecord | Skip> {
  const model = await backend.createModel(SPEC, sampleWeights(SPEC, 401), { seed: MODEL_SEED });
  try {
    const record: LossRecord = { losses: [], weights: new Map() };
    let trainer: Trainer | undefined;
    try {
      trainer = model.trainer(trainerOptions(lossOptions));
      await drive(trainer, record);
    } catch (error) {
      if (record.losses.length > 0) throw error;
      return refusal(error);
    } finally {
      trainer?.dispose();
    }
    record.weights = await model.getWeights();
    return record;
  } finally {
    model.dispose();
  }
}

/** The skip for a backend's refusal of loss options; anything but a one-line user error fails the check. */
function refusal(error: unknown): Skip {
  const message = error instanceof Error ? error.message : String(error);
  if (!isUserError(error) || message.includes('\n'))
    throw new ConformanceFailure(`loss options failed with other than a one-line user error (a refusal must be one): ${message}`);
  return { skipped: `the backend refuses loss options: ${message}` };
}
