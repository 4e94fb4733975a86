import { validateSpec, type Batch } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { tensors, torch } from './__fixtures__/tiny-distilbert.js';
import { createTfjsBackend } from './base.js';

const batch: Batch = {
  x: new Float32Array(0),
  size: torch.labels.length,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  labels: Int32Array.from(torch.labels),
};

function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}

describe('tfjs sequence layers against PyTorch (tests/fixtures/torch/tiny-distilbert.json)', () => {
  it('gives PyTorch’s probabilities, loss, and loss and weights after one Adam step, within 1e-4', async () => {
    const model = await createTfjsBackend({ note: () => undefined }).createModel(validateSpec(torch.spec), tensors(torch.weights));
    const names = Object.keys(torch.weights);
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: torch.adam.lr }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    try {
      const before = await trainer.evaluate(batch);
      expect(largestDifference(before.outputs, torch.probabilities)).toBeLessThan(1e-4);
      expect(Math.abs((await trainer.step(batch, 1)).loss - torch.loss)).toBeLessThan(1e-4);
      expect(Math.abs((await trainer.evaluate(batch)).lossSum / batch.size - torch.adam.loss_after)).toBeLessThan(1e-4);
      const weights = await model.getWeights();
      for (const [name, expected] of tensors(torch.adam.weights_after)) {
        // The key bias shifts all of a query's scores alike: its gradient is 0 up to rounding, which Adam scales to ±lr.
        if (name !== 'attn.kBias') expect(largestDifference(weights.get(name)!.data, expected.data), name).toBeLessThan(1e-4);
      }
      await expect(
        trainer.step({ ...batch, inputs: { ...batch.inputs, input_ids: Int32Array.from(torch.input_ids, (id) => id + 19) } }, 1),
      ).rejects.toThrow(/^batch input "input_ids": token id \d+ \(value 0\) is outside the vocabulary \[0, 20\) of layer "tok"$/);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});
