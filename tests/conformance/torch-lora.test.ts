import { validateSpec, type Batch } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { largestDifference, readTorchFixture, type Tensor, tensors } from './torch-fixture.js';

// tests/fixtures/torch/tiny_lora.py: PEFT-style LoRA (rank 2, alpha 3) on q_lin and v_lin of a one-block DistilBERT-style
// classifier in plain PyTorch, every base weight frozen; the adapters and the classifier train.
const torch = readTorchFixture<{
  spec: unknown;
  weights: Record<string, Tensor>;
  trained: string[];
  input_ids: number[];
  attention_mask: number[];
  labels: number[];
  loss: number;
  gradients: Record<string, Tensor>;
  adam: { lr: number; loss_after: number; weights_after: Record<string, Tensor> };
}>('tiny-lora.json');

const batch: Batch = {
  x: new Float32Array(0),
  size: 4,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  labels: Int32Array.from(torch.labels),
};

const options = (lr: number, optimizer: 'sgd' | 'adam') => ({
  trainable: torch.trained,
  groups: [{ name: 'adapters', params: torch.trained, lr }],
  optimizer: { type: optimizer },
  loss: 'softmaxCrossEntropy' as const,
});

const BACKENDS = [
  { name: 'onnx', create: () => createOnnxBackend() },
  { name: 'tfjs', create: () => createTfjsBackend({ note: () => undefined }) },
];

describe.each(BACKENDS)('LoRA on attention projections against PyTorch (tests/fixtures/torch/tiny-lora.json) on $name', (backend) => {
  it('moves each adapter and the head by PyTorch’s gradient in one SGD step of lr 1 (within 1e-5); every base weight stays bit-identical', async () => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer(options(1, 'sgd'));
    try {
      expect(Math.abs((await trainer.step(batch)).loss - torch.loss)).toBeLessThan(1e-5);
      const weights = await model.getWeights();
      for (const [name, gradient] of tensors(torch.gradients)) {
        const moved = Float32Array.from(torch.weights[name]!.data, (w, i) => w - weights.get(name)!.data[i]!);
        expect(largestDifference(moved, gradient.data), `gradient of ${name}`).toBeLessThan(1e-5);
      }
      for (const [name, before] of tensors(torch.weights))
        if (!torch.trained.includes(name)) expect(weights.get(name)!.data, name).toEqual(before.data);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('after one Adam step holds PyTorch’s adapters and head within 1e-4, and PyTorch’s loss within 1e-5', async () => {
    const model = await backend.create().createModel(validateSpec(torch.spec), tensors(torch.weights));
    const trainer = model.trainer(options(torch.adam.lr, 'adam'));
    try {
      expect(Math.abs((await trainer.step(batch)).loss - torch.loss)).toBeLessThan(1e-5);
      const weights = await model.getWeights();
      for (const [name, after] of tensors(torch.adam.weights_after))
        expect(largestDifference(weights.get(name)!.data, after.data), `${name} after the step`).toBeLessThan(1e-4);
      expect(Math.abs((await trainer.evaluate(batch)).lossSum / batch.size - torch.adam.loss_after)).toBeLessThan(1e-5);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});
