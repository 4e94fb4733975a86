import { validateSpec, type Batch, type NamedTensors } from '@headstart/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finiteDifferenceGradients } from './finite-differences.js';
import { referenceForward, toWeights64 } from './forward.js';
import { meanLoss } from './loss.js';
import { createReferenceBackend } from './reference-backend.js';

// tests/fixtures/torch/tiny_mlm.py: a one-block DistilBERT-style encoder with DistilBertForMaskedLM's head, in plain PyTorch.
const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'tiny-mlm.json');

interface Tensor {
  shape: number[];
  data: number[];
}
const torch = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  spec: unknown;
  weights: Record<string, Tensor>;
  input_ids: number[];
  attention_mask: number[];
  token_labels: number[];
  loss: number;
  gradients: Record<string, Tensor>;
  adam: { lr: number; steps: { loss: number; weights_after: Record<string, Tensor> }[]; loss_after: number };
};

const tensors = (record: Record<string, Tensor>): NamedTensors =>
  new Map(Object.entries(record).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));

const SPEC = validateSpec(torch.spec);
const batch: Batch = {
  x: new Float32Array(0),
  size: 4,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  tokenLabels: Int32Array.from(torch.token_labels),
};
const inputs = new Map(Object.entries(batch.inputs!));

function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}

describe('the float64 reference’s masked-token loss against PyTorch (tests/fixtures/torch/tiny-mlm.json)', () => {
  it('gives PyTorch’s loss and, by central differences, its gradients within 1e-5', () => {
    const weights = toWeights64(tensors(torch.weights));
    const loss = (): number =>
      meanLoss('tokenCrossEntropy', referenceForward(SPEC, weights, inputs, 4, { training: true, logits: true }).output, batch);
    expect(Math.abs(loss() - torch.loss)).toBeLessThan(1e-5);
    const gradients = finiteDifferenceGradients(loss, weights, Object.keys(torch.gradients));
    for (const [name, expected] of tensors(torch.gradients))
      expect(largestDifference(gradients.get(name)!, expected.data), `gradient of ${name}`).toBeLessThan(1e-5);
  });

  it('trains as PyTorch does: the loss of each of two Adam steps and the weights after them', async () => {
    const model = await createReferenceBackend().createModel(SPEC, tensors(torch.weights));
    const names = Object.keys(torch.weights);
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: torch.adam.lr }],
      optimizer: { type: 'adam' },
      loss: 'tokenCrossEntropy',
    });
    for (const [k, expected] of torch.adam.steps.entries()) {
      expect(Math.abs((await trainer.step(batch)).loss - expected.loss), `loss of step ${k + 1}`).toBeLessThan(1e-5);
      const weights = await model.getWeights();
      for (const [name, after] of tensors(expected.weights_after)) {
        // The key bias shifts all of a query's scores alike: its gradient is 0 up to rounding, which Adam scales to ±lr.
        if (name !== 'attn.kBias')
          expect(largestDifference(weights.get(name)!.data, after.data), `${name} after step ${k + 1}`).toBeLessThan(1e-4);
      }
    }
    expect(Math.abs((await trainer.evaluate(batch)).lossSum / 4 - torch.adam.loss_after)).toBeLessThan(1e-5);
  });
});
