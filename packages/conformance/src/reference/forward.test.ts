import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { erf } from './activations.js';
import { referenceForward, type Weights64 } from './forward.js';

const w = (entries: Record<string, number[]>): Weights64 => new Map(Object.entries(entries).map(([k, v]) => [k, Float64Array.from(v)]));

describe('referenceForward', () => {
  test('dense uses the [in, out] kernel layout and adds the bias; softmax rows sum to 1', () => {
    const spec = validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 3 }] });
    const out = referenceForward(spec, w({ 'd.kernel': [1, 2, 3, 4, 5, 6], 'd.bias': [0.5, 0, -0.5] }), [1, -1], 1, {
      training: false,
    }).output;
    expect(Array.from(out)).toEqual([1 - 4 + 0.5, 2 - 5, 3 - 6 - 0.5]);
    const soft = validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 3, activation: 'softmax' }] });
    const probs = referenceForward(soft, w({ 'd.kernel': [1, 2, 3, 4, 5, 6], 'd.bias': [0, 0, 0] }), [1, 0], 1, { training: false }).output;
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 15);
    expect(probs[2]! / probs[1]!).toBeCloseTo(Math.E, 12);
  });

  test("conv2d 'same' with an even kernel pads after (TensorFlow), reading the [kh, kw, in, out] kernel", () => {
    // A 1×2 kernel [a, b] on a row [1, 2, 3]: outputs 1a+2b, 2a+3b, 3a+0 (the padding is on the right).
    const spec = validateSpec({
      inputShape: [1, 3, 1],
      layers: [{ type: 'conv2d', name: 'c', filters: 1, kernelSize: [1, 2], padding: 'same', useBias: false }],
    });
    const out = referenceForward(spec, w({ 'c.kernel': [10, 1] }), [1, 2, 3], 1, { training: false }).output;
    expect(Array.from(out)).toEqual([12, 23, 30]);
  });

  test("average pooling with 'same' padding divides by the real values in each window; max pooling ignores padding", () => {
    const avg = validateSpec({
      inputShape: [1, 3, 1],
      layers: [{ type: 'avgPool2d', name: 'p', poolSize: [1, 2], strides: 1, padding: 'same' }],
    });
    expect(Array.from(referenceForward(avg, new Map(), [2, 4, 6], 1, { training: false }).output)).toEqual([3, 5, 6]);
    const max = validateSpec({
      inputShape: [1, 3, 1],
      layers: [{ type: 'maxPool2d', name: 'p', poolSize: [1, 2], strides: 1, padding: 'same' }],
    });
    expect(Array.from(referenceForward(max, new Map(), [-2, -4, -6], 1, { training: false }).output)).toEqual([-2, -4, -6]);
  });

  test('batch norm uses moving statistics in inference and the batch (biased variance) in training, reporting it', () => {
    const spec = validateSpec({ inputShape: [1], layers: [{ type: 'batchNorm', name: 'bn', epsilon: 0.25 }] });
    const weights = w({ 'bn.gamma': [2], 'bn.beta': [1], 'bn.movingMean': [1], 'bn.movingVariance': [0.75] });
    expect(Array.from(referenceForward(spec, weights, [2, 3], 2, { training: false }).output)).toEqual([3, 5]);
    const training = referenceForward(spec, weights, [2, 4], 2, { training: true });
    expect(training.batchStatistics.get('bn')).toEqual({ mean: Float64Array.of(3), variance: Float64Array.of(1) });
    expect(Array.from(training.output)).toEqual([1 - 2 / Math.sqrt(1.25), 1 + 2 / Math.sqrt(1.25)]);
    expect(referenceForward(spec, weights, [2, 4], 2, { training: true, frozenBatchNorm: new Set(['bn']) }).batchStatistics.size).toBe(0);
  });

  test('activations: leaky relu slope 0.01, exact gelu; dropout only in training, by its mask', () => {
    const spec = validateSpec({
      inputShape: [2],
      layers: [
        { type: 'activation', name: 'a', activation: 'leakyRelu' },
        { type: 'dropout', name: 'd', rate: 0.5 },
        { type: 'activation', name: 'g', activation: 'gelu' },
      ],
    });
    const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
    expect(Array.from(referenceForward(spec, new Map(), [-3, 1], 1, { training: false }).output)).toEqual([gelu(-0.03), gelu(1)]);
    const masks = new Map([['d', Float32Array.of(0, 2)]]);
    expect(Array.from(referenceForward(spec, new Map(), [-3, 1], 1, { training: true, dropoutMasks: masks }).output)).toEqual([
      -0,
      gelu(2),
    ]); // −0.03 · 0
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(-3)).toBeCloseTo(-0.9999779095030014, 15);
  });
});
