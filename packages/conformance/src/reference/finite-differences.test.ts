import { validateSpec, type Batch } from '@headstart/core';
import { expect, test } from 'vitest';
import { finiteDifferenceGradients } from './finite-differences.js';
import { referenceForward, type Weights64 } from './forward.js';
import { meanLoss } from './loss.js';

test('central differences of softmax cross-entropy match its analytic gradient, xᵀ(p − y)/n', () => {
  const spec = validateSpec({ inputShape: [3], layers: [{ type: 'dense', name: 'd', units: 2, activation: 'softmax' }] });
  const weights: Weights64 = new Map([
    ['d.kernel', Float64Array.of(0.3, -0.2, 0.1, 0.5, -0.4, 0.2)],
    ['d.bias', Float64Array.of(0.1, -0.1)],
  ]);
  const batch: Batch = { x: Float32Array.of(1, 2, -1, 0.5, -1, 2), size: 2, labels: Int32Array.of(0, 1) };
  const loss = (): number =>
    meanLoss('softmaxCrossEntropy', referenceForward(spec, weights, batch.x, 2, { training: true, logits: true }).output, batch);
  const numeric = finiteDifferenceGradients(loss, weights, ['d.kernel', 'd.bias']);

  const probabilities = referenceForward(spec, weights, batch.x, 2, { training: false }).output;
  const kernel = new Float64Array(6);
  const bias = new Float64Array(2);
  for (let s = 0; s < 2; s++)
    for (let o = 0; o < 2; o++) {
      const error = (probabilities[s * 2 + o]! - (batch.labels![s] === o ? 1 : 0)) / 2;
      bias[o]! += error;
      for (let i = 0; i < 3; i++) kernel[i * 2 + o]! += batch.x[s * 3 + i]! * error;
    }
  numeric.get('d.kernel')!.forEach((g, i) => expect(Math.abs(g - kernel[i]!)).toBeLessThan(1e-9));
  numeric.get('d.bias')!.forEach((g, i) => expect(Math.abs(g - bias[i]!)).toBeLessThan(1e-9));
  expect(Array.from(weights.get('d.bias')!)).toEqual([0.1, -0.1]);
});
