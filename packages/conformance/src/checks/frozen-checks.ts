import type { Backend, ModelSpec, NamedTensors, TrainerOptions } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { sampleBatch, sampleWeights } from '../fixtures/sample-data.js';
import { CNN_SPEC, MLP_SPEC } from '../fixtures/specs.js';
import { trainableNames } from '../fixtures/training-scenarios.js';
import { MODEL_SEED } from './run-scenario.js';

/** Training steps of the freezing checks. */
export const STEPS = 3;

/** Weights before and after {@link STEPS} training steps (seeded weights and classifier batches). */
export async function trainFew(
  backend: Backend,
  spec: ModelSpec,
  options: TrainerOptions,
): Promise<{ before: NamedTensors; after: NamedTensors }> {
  const model = await backend.createModel(spec, sampleWeights(spec, 80), { seed: MODEL_SEED });
  const trainer = model.trainer(options);
  try {
    const before = await model.getWeights();
    for (let step = 0; step < STEPS; step++) await trainer.step(sampleBatch(spec, 'softmaxCrossEntropy', 8, 90 + step));
    return { before, after: await model.getWeights() };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/** The tensors whose names `keep` accepts. */
export function pick(weights: NamedTensors, keep: (name: string) => boolean): NamedTensors {
  return new Map([...weights].filter(([name]) => keep(name)));
}

/** Whether a parameter is a batch-norm statistic. */
export const isStatistic = (name: string): boolean => name.endsWith('.movingMean') || name.endsWith('.movingVariance');

/** Reference-free checks that what is frozen stays exactly as it was. */
export const frozenChecks: ConformanceCheck[] = [
  {
    id: 'train.frozen-parameters',
    title: `after ${STEPS} Adam steps on conv2 and the head only, every other parameter and bn1's statistics are bit-identical and the trained ones changed (CNN with dropout)`,
    async run(ctx) {
      const trainable = trainableNames(CNN_SPEC, ['conv2', 'head']);
      const { before, after } = await trainFew(ctx.backend, CNN_SPEC, {
        trainable,
        groups: [{ name: 'top', params: trainable, lr: 0.01 }],
        optimizer: { type: 'adam' },
        loss: 'softmaxCrossEntropy',
      });
      const frozen = (name: string): boolean => !trainable.includes(name);
      ctx.expect.identical('frozen parameters and batch-norm statistics', pick(after, frozen), pick(before, frozen));
      ctx.expect.changed(
        'trained parameters',
        pick(after, (name) => !frozen(name)),
        before,
      );
    },
  },
  {
    id: 'train.frozen-batch-norm',
    title: `a batch-norm layer listed in frozenBatchNorm keeps its statistics bit-identical while its gamma and beta train; unlisted, its statistics move (MLP, ${STEPS} SGD steps)`,
    async run(ctx) {
      const trainable = trainableNames(MLP_SPEC);
      const options: TrainerOptions = {
        trainable,
        groups: [{ name: 'all', params: trainable, lr: 0.1 }],
        optimizer: { type: 'sgd' },
        loss: 'softmaxCrossEntropy',
      };
      const frozen = await trainFew(ctx.backend, MLP_SPEC, { ...options, frozenBatchNorm: ['bn1'] });
      ctx.expect.identical('bn1 statistics with bn1 frozen', pick(frozen.after, isStatistic), pick(frozen.before, isStatistic));
      ctx.expect.changed(
        'trained parameters with bn1 frozen',
        pick(frozen.after, (name) => trainable.includes(name)),
        frozen.before,
      );
      const updating = await trainFew(ctx.backend, MLP_SPEC, options);
      ctx.expect.changed('bn1 statistics with bn1 updating', pick(updating.after, isStatistic), updating.before);
    },
  },
];
