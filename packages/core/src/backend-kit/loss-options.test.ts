import { describe, expect, test } from 'vitest';
import type { Batch, LossOptions, TrainerOptions } from '../backend.js';
import { validateSpec } from '../spec/model-spec.js';
import { crossEntropyTarget, targetClasses } from './loss-options.js';
import { planTraining } from './training-plan.js';

const spec = validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'head', units: 3, activation: 'softmax' }] });

const plan =
  (lossOptions: unknown, loss: TrainerOptions['loss'] = 'softmaxCrossEntropy') =>
  () =>
    planTraining(spec, {
      trainable: ['head.kernel'],
      groups: [{ name: 'all', params: ['head.kernel'], lr: 0.1 }],
      optimizer: { type: 'sgd' },
      loss,
      lossOptions: lossOptions as LossOptions,
    });

describe('loss options are checked by planTraining, in one line naming the option', () => {
  test.each([
    [{ labelSmoothig: 0.1 }, 'lossOptions: unknown option "labelSmoothig"; expected one of labelSmoothing, classWeights, distillation'],
    [{ labelSmoothing: 1 }, 'lossOptions.labelSmoothing: must be in [0, 1), got 1'],
    [{ classWeights: [1, 2] }, 'lossOptions.classWeights: expected one weight per class (3), got 2'],
    [{ classWeights: [1, 0, 2] }, 'lossOptions.classWeights: weight 1 must be a finite number > 0, got 0'],
    [
      { distillation: { temperature: 2, alpha: 0.5, beta: 1 } },
      'lossOptions.distillation: unknown option "beta"; expected one of temperature, alpha',
    ],
    [{ distillation: { temperature: 0, alpha: 0.5 } }, 'lossOptions.distillation.temperature: must be > 0, got 0'],
    [{ distillation: { temperature: 2, alpha: 1.5 } }, 'lossOptions.distillation.alpha: must be in [0, 1], got 1.5'],
  ])('%j', (options, message) => {
    expect(plan(options)).toThrow(message);
  });

  test('loss options apply to cross-entropy only', () => {
    expect(plan({ labelSmoothing: 0.1 }, 'mse')).toThrow('lossOptions.labelSmoothing: applies to loss softmaxCrossEntropy only, not mse');
    expect(plan({ labelSmoothing: 0.1, classWeights: [1, 2, 3], distillation: { temperature: 1, alpha: 0 } })).not.toThrow();
  });
});

describe('crossEntropyTarget', () => {
  const labelled: Batch = { x: new Float32Array(4), size: 2, labels: Int32Array.of(0, 2) };

  test('smooths and weighs one-hot labels, rescaled to the weighted mean Σ w_y·loss / Σ w_y', () => {
    const target = crossEntropyTarget(labelled, 3, { labelSmoothing: 0.3, classWeights: [1, 2, 3] });
    // Σ w_y = 1 + 3 = 4 over 2 samples: each row × 2/4.
    const expected = [0.8 * 1, 0.1 * 2, 0.1 * 3, 0.1 * 1, 0.1 * 2, 0.8 * 3].map((v) => v * 0.5);
    expect([...target].map((v) => Number(v.toFixed(6)))).toEqual(expected.map((v) => Number(v.toFixed(6))));
  });

  test('soft labels are weighed but keep the plain mean, and must be probability rows', () => {
    const soft: Batch = { x: new Float32Array(4), size: 2, targets: Float32Array.of(0.5, 0.5, 0, 0, 0.25, 0.75) };
    expect([...crossEntropyTarget(soft, 3, { classWeights: [2, 1, 1] })]).toEqual([1, 0.5, 0, 0, 0.25, 0.75]);
    expect([...targetClasses(soft, 3)!]).toEqual([0, 2]);
    expect(() => crossEntropyTarget({ ...soft, targets: Float32Array.of(0.5, 0.6, 0, 0, 0, 1) }, 3)).toThrow(
      "soft labels: sample 0's probabilities sum to 1.100000023841858, expected 1",
    );
    expect(() => crossEntropyTarget({ ...soft, targets: Float32Array.of(1.5, -0.5, 0, 0, 0, 1) }, 3)).toThrow(
      'soft labels: sample 0 class 0 is 1.5, expected a probability in [0, 1]',
    );
  });
});
