import { createRng, permutation, validateSpec, type ModelSpecInput } from '@headstart/core';
import { expect, it } from 'vitest';
import { createOnnxBackend } from './base.js';
import { loadDigits } from './__fixtures__/digits.js';

/** Train on a seeded 80 % of digits with Adam (lr 1e-3, batch 32) and return accuracy on the other 20 %. */
async function heldOutAccuracy(specInput: ModelSpecInput, epochs: number): Promise<number> {
  const digits = loadDigits();
  const spec = validateSpec(specInput);
  const model = await createOnnxBackend().createModel(spec, undefined, { seed: 1 });
  const names = model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  const trainer = model.trainer({
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 1e-3 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
  });
  const rng = createRng(3);
  const order = permutation(digits.size, rng);
  const trainCount = Math.floor(digits.size * 0.8);
  const [train, test] = [order.subarray(0, trainCount), order.subarray(trainCount)];
  const gather = (rows: ArrayLike<number>): { x: Float32Array; labels: Int32Array } => {
    const x = new Float32Array(rows.length * 64);
    const labels = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      x.set(digits.x.subarray(rows[i]! * 64, rows[i]! * 64 + 64), i * 64);
      labels[i] = digits.labels[rows[i]!]!;
    }
    return { x, labels };
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const shuffled = permutation(train.length, rng).map((i) => train[i]!);
    for (let start = 0; start < shuffled.length; start += 32) {
      const rows = shuffled.subarray(start, start + 32);
      await trainer.step({ ...gather(rows), size: rows.length });
    }
  }
  const held = gather(test);
  const probabilities = await model.predict(held.x, test.length);
  let correct = 0;
  for (let i = 0; i < test.length; i++) {
    const row = probabilities.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === held.labels[i]) correct++;
  }
  model.dispose();
  return correct / test.length;
}

it('trains an MLP on digits to ≥ 0.93 held-out accuracy (Adam, batch 32, 30 epochs)', async () => {
  const accuracy = await heldOutAccuracy(
    {
      inputShape: [64],
      layers: [
        { type: 'dense', name: 'h1', units: 128, activation: 'relu' },
        { type: 'dense', name: 'h2', units: 64, activation: 'relu' },
        { type: 'dense', name: 'out', units: 10, activation: 'softmax' },
      ],
    },
    30,
  );
  console.log(`digits MLP held-out accuracy: ${accuracy.toFixed(4)}`);
  expect(accuracy).toBeGreaterThanOrEqual(0.93);
});

it('trains a small CNN (conv, batch norm, pooling, dropout) on 8×8 digits to ≥ 0.93 in 20 epochs', async () => {
  const accuracy = await heldOutAccuracy(
    {
      inputShape: [8, 8, 1],
      layers: [
        { type: 'conv2d', name: 'c1', filters: 16, kernelSize: 3, padding: 'same' },
        { type: 'batchNorm', name: 'bn1' },
        { type: 'activation', name: 'a1', activation: 'relu' },
        { type: 'maxPool2d', name: 'p1' },
        { type: 'conv2d', name: 'c2', filters: 32, kernelSize: 3, activation: 'gelu' },
        { type: 'globalAvgPool2d', name: 'gap' },
        { type: 'dropout', name: 'drop', rate: 0.2 },
        { type: 'dense', name: 'out', units: 10, activation: 'softmax' },
      ],
    },
    20,
  );
  console.log(`digits CNN held-out accuracy: ${accuracy.toFixed(4)}`);
  expect(accuracy).toBeGreaterThanOrEqual(0.93);
});
