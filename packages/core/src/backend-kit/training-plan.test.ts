import { describe, expect, test } from 'vitest';
import type { TrainerOptions } from '../backend.js';
import { validateSpec } from '../spec/model-spec.js';
import { dropoutMask, mixSeeds } from './dropout-mask.js';
import { planTraining } from './training-plan.js';

const spec = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'enc', units: 3 },
    { type: 'batchNorm', name: 'bn' },
    { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
  ],
});

const options = (overrides: Partial<TrainerOptions>): TrainerOptions => ({
  trainable: ['head.kernel', 'head.bias'],
  groups: [{ name: 'head', params: ['head.kernel', 'head.bias'], lr: 0.1 }],
  optimizer: { type: 'adam' },
  loss: 'softmaxCrossEntropy',
  ...overrides,
});

describe('planTraining', () => {
  test('resolves groups and batch-norm modes: a batch-norm with nothing trained stays frozen', () => {
    const plan = planTraining(spec, options({}));
    expect(plan.trained.map((p) => `${p.name}@${plan.groupLrs[p.group]}`)).toEqual(['head.kernel@0.1', 'head.bias@0.1']);
    expect([...plan.frozenBatchNorm]).toEqual(['bn']);
    const all = ['enc.kernel', 'enc.bias', 'bn.gamma', 'bn.beta', 'head.kernel', 'head.bias'];
    const full = planTraining(spec, options({ trainable: all, groups: [{ name: 'all', params: all, lr: 1, weightDecay: 0.01 }] }));
    expect([...full.updatedBatchNorm]).toEqual([['bn', 0.99]]);
    expect(full.trained.every((p) => p.weightDecay === 0.01)).toBe(true);
    expect([
      ...planTraining(spec, options({ trainable: all, groups: [{ name: 'all', params: all, lr: 1 }], frozenBatchNorm: ['bn'] }))
        .frozenBatchNorm,
    ]).toEqual(['bn']);
  });

  test.each([
    [
      { trainable: ['nope.kernel'] },
      'trainable: unknown parameter "nope.kernel"; this model has enc.kernel, enc.bias, bn.gamma, bn.beta, bn.movingMean, bn.movingVariance, head.kernel, head.bias',
    ],
    [{ trainable: ['bn.movingMean'] }, `trainable: "bn.movingMean" is a batch-norm statistic; it follows the layer's mode, not gradients`],
    [{ groups: [{ name: 'g', params: ['head.kernel'], lr: 0.1 }] }, 'groups: trainable parameter "head.bias" is in no group'],
    [
      {
        groups: [
          { name: 'a', params: ['head.kernel', 'head.bias'], lr: 0.1 },
          { name: 'b', params: ['head.bias'], lr: 0.1 },
        ],
      },
      'groups: parameter "head.bias" is in both "a" and "b"',
    ],
    [{ groups: [{ name: 'a', params: ['head.kernel', 'head.bias'], lr: -1 }] }, 'groups: group "a" lr must be ≥ 0, got -1'],
    [{ frozenBatchNorm: ['enc'] }, 'frozenBatchNorm: "enc" is not a batch-norm layer of this model (it has bn)'],
    [{ optimizer: { type: 'sgd', momentum: 0, nesterov: true } }, 'sgd nesterov needs a momentum > 0'],
    // Before: anything but 'sgd' trained as Adam.
    [{ optimizer: { type: 'rmsprop' } }, 'optimizer.type: unknown optimizer "rmsprop"; expected one of sgd, adam, adamw'],
    [{ optimizer: { type: 'Adam' } }, 'optimizer.type: unknown optimizer "Adam"; expected one of sgd, adam, adamw'],
    [{ loss: 'crossEntropy' }, 'loss: unknown loss "crossEntropy"; expected one of softmaxCrossEntropy, mse, tokenCrossEntropy'],
  ] as [Partial<TrainerOptions>, string][])('refuses %j', (overrides, message) => {
    expect(() => planTraining(spec, options(overrides))).toThrow(message);
  });
});

describe('dropoutMask', () => {
  test('is seeded, scales kept values by 1/(1 − rate), and drops about `rate` of them', () => {
    const mask = dropoutMask(10_000, 0.25, mixSeeds(7, 3));
    expect(mask).toEqual(dropoutMask(10_000, 0.25, mixSeeds(7, 3)));
    expect(mask).not.toEqual(dropoutMask(10_000, 0.25, mixSeeds(7, 4)));
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const dropped = mask.filter((v) => v === 0).length / mask.length;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.02);
  });
});
