import { validateSpec, type Batch } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { referenceForward, type Weights64 } from './forward.js';
import { createReferenceBackend } from './reference-backend.js';

const w = (entries: Record<string, number[]>): Weights64 => new Map(Object.entries(entries).map(([k, v]) => [k, Float64Array.from(v)]));
const inference = { training: false } as const;

/** A residual block on 2 features: `y = x·K + b + x`. */
const RESIDUAL = validateSpec({
  inputShape: [2],
  layers: [
    { type: 'dense', name: 'd', units: 2 },
    { type: 'add', name: 'res', inputs: ['d', 'input'] },
  ],
});

describe('referenceForward on graphs', () => {
  test('add sums its inputs element-wise: the residual adds the model input back', () => {
    const out = referenceForward(RESIDUAL, w({ 'd.kernel': [1, 2, 3, 4], 'd.bias': [0.5, -0.5] }), [1, -1, 2, 0], 2, inference).output;
    // Sample 1: [1, −1]·K = [1 − 3, 2 − 4] = [−2, −2]; + b + x = [−0.5, −3.5]. Sample 2: [2, 4] + b + [2, 0] = [4.5, 3.5].
    expect(Array.from(out)).toEqual([-0.5, -3.5, 4.5, 3.5]);
  });

  test('concat joins channels in inputs order, per position; a final softmax applies after the merge', () => {
    const spec = validateSpec({
      inputShape: [1, 2, 1],
      layers: [
        { type: 'conv2d', name: 'a', filters: 1, kernelSize: 1, useBias: false, inputs: ['input'] },
        { type: 'conv2d', name: 'b', filters: 2, kernelSize: 1, useBias: false, inputs: ['input'] },
        { type: 'concat', name: 'cat', inputs: ['b', 'a'] },
        { type: 'flatten', name: 'flat' },
        { type: 'activation', name: 'probs', activation: 'softmax' },
      ],
    });
    const weights = w({ 'a.kernel': [10], 'b.kernel': [1, 2] });
    const logits = referenceForward(spec, weights, [1, 3], 1, { training: false, logits: true }).output;
    expect(Array.from(logits)).toEqual([1, 2, 10, 3, 6, 30]); // position 0: b = [1, 2], a = [10]; position 1: [3, 6], [30]
    const probabilities = referenceForward(spec, weights, [1, 3], 1, inference).output;
    const total = logits.reduce((sum, v) => sum + Math.exp(v), 0);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(Math.exp(logits[i]!) / total, 15));
  });

  test('nodes run in topological order whatever their listing order; the output is the last listed layer', () => {
    // "late" is listed first but takes "early"; "sum" (last listed) takes both.
    const spec = validateSpec({
      inputShape: [1],
      layers: [
        { type: 'dense', name: 'late', units: 1, useBias: false, inputs: ['early'] },
        { type: 'dense', name: 'early', units: 1, useBias: false, inputs: ['input'] },
        { type: 'add', name: 'sum', inputs: ['late', 'early'] },
      ],
    });
    const out = referenceForward(spec, w({ 'late.kernel': [3], 'early.kernel': [2] }), [5], 1, inference).output;
    expect(Array.from(out)).toEqual([2 * 5 * 3 + 2 * 5]);
  });

  test('a final dense softmax that takes a branch other than the layer listed before it is split at its logits', () => {
    const spec = validateSpec({
      inputShape: [2],
      layers: [
        { type: 'dense', name: 'skip', units: 2, useBias: false },
        { type: 'add', name: 'res', inputs: ['skip', 'input'] },
        { type: 'dense', name: 'head', units: 2, useBias: false, activation: 'softmax', inputs: ['res'] },
      ],
    });
    const weights = w({ 'skip.kernel': [1, 0, 0, 1], 'head.kernel': [1, 0, 0, 1] });
    expect(Array.from(referenceForward(spec, weights, [1, 2], 1, { training: false, logits: true }).output)).toEqual([2, 4]);
    const [p0, p1] = referenceForward(spec, weights, [1, 2], 1, inference).output;
    expect(p0).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    expect(p1).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
  });
});

test('one SGD step of a residual graph follows the analytic gradient of mse: 2/(n·outputs) · xᵀ(x·K + b + x − t)', async () => {
  const kernel = [0.5, -0.25, 0.75, 1];
  const bias = [0.125, -0.5];
  const model = await createReferenceBackend().createModel(
    RESIDUAL,
    new Map([
      ['d.kernel', { shape: [2, 2], data: Float32Array.from(kernel) }],
      ['d.bias', { shape: [2], data: Float32Array.from(bias) }],
    ]),
  );
  const batch: Batch = { x: Float32Array.of(1, -1, 2, 0.5), size: 2, targets: Float32Array.of(0, 1, 1, 0) };
  const trainer = model.trainer({
    trainable: ['d.kernel', 'd.bias'],
    groups: [{ name: 'all', params: ['d.kernel', 'd.bias'], lr: 0.1 }],
    optimizer: { type: 'sgd' },
    loss: 'mse',
  });
  await trainer.step(batch);
  const gradK = [0, 0, 0, 0];
  const gradB = [0, 0];
  for (let s = 0; s < 2; s++)
    for (let o = 0; o < 2; o++) {
      const x = [batch.x[s * 2]!, batch.x[s * 2 + 1]!];
      const y = x[0]! * kernel[o]! + x[1]! * kernel[2 + o]! + bias[o]! + x[o]!;
      const error = (2 * (y - batch.targets![s * 2 + o]!)) / 4;
      gradB[o]! += error;
      for (let i = 0; i < 2; i++) gradK[i * 2 + o]! += x[i]! * error;
    }
  const after = await model.getWeights();
  after.get('d.kernel')!.data.forEach((v, i) => expect(v).toBeCloseTo(kernel[i]! - 0.1 * gradK[i]!, 6));
  after.get('d.bias')!.data.forEach((v, i) => expect(v).toBeCloseTo(bias[i]! - 0.1 * gradB[i]!, 6));
  expect(after.get('d.kernel')!.data[0]).not.toBe(Math.fround(kernel[0]!));
});
