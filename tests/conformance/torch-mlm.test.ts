import { validateSpec, type Batch } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { largestDifference, readTorchFixture, type Tensor, tensors } from './torch-fixture.js';

// tests/fixtures/torch/tiny_mlm.py: a one-block DistilBERT-style encoder with DistilBertForMaskedLM's head, in plain PyTorch.
const torch = readTorchFixture<{
  spec: unknown;
  weights: Record<string, Tensor>;
  input_ids: number[];
  attention_mask: number[];
  token_labels: number[];
  loss: number;
  gradients: Record<string, Tensor>;
  adam: { lr: number; steps: { loss: number; weights_after: Record<string, Tensor> }[]; loss_after: number };
}>('tiny-mlm.json');

const batch: Batch = {
  x: new Float32Array(0),
  size: 4,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  tokenLabels: Int32Array.from(torch.token_labels),
};

const names = Object.keys(torch.weights);
const options = {
  trainable: names,
  groups: [{ name: 'all', params: names, lr: torch.adam.lr }],
  optimizer: { type: 'adam' as const },
  loss: 'tokenCrossEntropy' as const,
};

// One suite, every backend: the same fixture, the same tolerances.
const BACKENDS = [
  { name: 'onnx', create: () => createOnnxBackend() },
  { name: 'tfjs', create: () => createTfjsBackend({ note: () => undefined }) },
];

describe.each(BACKENDS)('masked-language modelling against PyTorch (tests/fixtures/torch/tiny-mlm.json) on $name', (backend) => {
  it('gives the masked-token loss and, after each of two Adam steps, PyTorch’s weights within 1e-4', async () => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer(options);
    try {
      expect(Math.abs((await trainer.evaluate(batch)).lossSum / batch.size - torch.loss)).toBeLessThan(1e-5);
      for (const [k, expected] of torch.adam.steps.entries()) {
        expect(Math.abs((await trainer.step(batch)).loss - expected.loss), `loss of step ${k + 1}`).toBeLessThan(1e-5);
        const weights = await model.getWeights();
        for (const [name, after] of tensors(expected.weights_after)) {
          // The key bias shifts all of a query's scores alike: its gradient is 0 up to rounding, which Adam scales to ±lr.
          if (name !== 'attn.kBias')
            expect(largestDifference(weights.get(name)!.data, after.data), `${name} after step ${k + 1}`).toBeLessThan(1e-4);
        }
      }
      expect(Math.abs((await trainer.evaluate(batch)).lossSum / batch.size - torch.adam.loss_after)).toBeLessThan(1e-5);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('moves each weight by PyTorch’s gradient in one SGD step of lr 1 (within 1e-5)', async () => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer({ ...options, groups: [{ name: 'all', params: names, lr: 1 }], optimizer: { type: 'sgd' } });
    try {
      await trainer.step(batch);
      const weights = await model.getWeights();
      for (const [name, gradient] of tensors(torch.gradients)) {
        const moved = Float32Array.from(torch.weights[name]!.data, (w, i) => w - weights.get(name)!.data[i]!);
        expect(largestDifference(moved, gradient.data), `gradient of ${name}`).toBeLessThan(1e-5);
      }
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('counts the masked positions only: labels −100 everywhere give loss 0 and leave the weights as they were', async () => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer({ ...options, optimizer: { type: 'sgd' } });
    try {
      const step = await trainer.step({ ...batch, tokenLabels: new Int32Array(24).fill(-100) });
      expect(step.loss).toBe(0);
      expect((await model.getWeights()).get('vocab_projector.kernel')!.data).toEqual(
        Float32Array.from(torch.weights['vocab_projector.kernel']!.data),
      );
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it.each([
    [{ ...batch, tokenLabels: undefined }, 'tokenCrossEntropy needs 4×6 token labels in the batch (batch.tokenLabels), got none'],
    [
      { ...batch, tokenLabels: Int32Array.from(torch.token_labels, (id, i) => (i === 9 ? 20 : id)) },
      'token label 20 (sample 1, token 3) is neither a vocabulary id in 0..19 nor -100 (ignored)',
    ],
  ])('refuses a batch without valid token labels in one line (%#)', async (bad, message) => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer(options);
    try {
      await expect(trainer.step(bad)).rejects.toThrow(message);
      await expect(trainer.evaluate(bad)).rejects.toThrow(message);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('refuses tokenCrossEntropy on a model that does not output one row per token', async () => {
    const spec = validateSpec({
      ...(torch.spec as object),
      layers: [
        ...(torch.spec as { layers: object[] }).layers.slice(0, -3),
        { type: 'sequencePool', name: 'p', mode: 'first' },
        { type: 'dense', name: 'h', units: 3, activation: 'softmax' },
      ],
    });
    const model = await backend.create().createModel(spec);
    try {
      const trainable = ['h.kernel'];
      expect(() => model.trainer({ ...options, trainable, groups: [{ name: 'all', params: trainable, lr: 0.1 }] })).toThrow(
        'loss tokenCrossEntropy needs a model whose output is [tokens, vocab] (a dense per token over the vocabulary), but it outputs [3]',
      );
    } finally {
      model.dispose();
    }
  });
});
