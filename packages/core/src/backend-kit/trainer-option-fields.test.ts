import { expect, test } from 'vitest';
import type { TrainerOptions } from '../backend.js';
import { validateSpec } from '../spec/model-spec.js';
import { planTraining } from './training-plan.js';

const spec = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'head', units: 2, activation: 'softmax' }] });
const options: TrainerOptions = {
  trainable: ['head.kernel', 'head.bias'],
  groups: [{ name: 'head', params: ['head.kernel', 'head.bias'], lr: 0.1 }],
  optimizer: { type: 'adam' },
  loss: 'softmaxCrossEntropy',
};

// Before: each of these fields was ignored, so the run trained with the defaults instead.
test.each([
  [
    { ...options, frozenBatchnorm: ['bn'] },
    'trainer options: unknown field "frozenBatchnorm"; expected one of trainable, groups, optimizer, loss, lossOptions, frozenBatchNorm, l2sp, seed',
  ],
  [
    { ...options, groups: [{ ...options.groups[0]!, weight_decay: 0.1 }] },
    'groups[0] "head": unknown field "weight_decay"; expected one of name, params, lr, weightDecay',
  ],
  [
    { ...options, optimizer: { type: 'adam', beta_1: 0.5 } },
    'optimizer (adam): unknown field "beta_1"; expected one of type, beta1, beta2, epsilon',
  ],
  [
    { ...options, optimizer: { type: 'sgd', beta1: 0.5 } },
    'optimizer (sgd): unknown field "beta1"; expected one of type, momentum, nesterov',
  ],
])('planTraining refuses an unknown field: %j', (given, message) => {
  expect(() => planTraining(spec, given as TrainerOptions)).toThrow(message);
});

test('every known field passes', () => {
  const all: TrainerOptions = { ...options, frozenBatchNorm: [], l2sp: { weight: 0, reference: new Map() }, seed: 1 };
  expect(planTraining(spec, all).trained.map((p) => p.name)).toEqual(['head.kernel', 'head.bias']);
  expect(planTraining(spec, { ...options, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true } }).trained).toHaveLength(2);
});
