import { validateSpec, type Batch, type NamedTensors } from '@headstart/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finiteDifferenceGradients } from './finite-differences.js';
import { referenceForward, toWeights64 } from './forward.js';
import { meanLoss } from './loss.js';

// tests/fixtures/torch/tiny_lora.py: PEFT-style LoRA (rank 2, alpha 3) on q_lin and v_lin of a one-block DistilBERT-style
// classifier in plain PyTorch.
const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'tiny-lora.json');

interface Tensor {
  shape: number[];
  data: number[];
}
const torch = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  spec: unknown;
  weights: Record<string, Tensor>;
  input_ids: number[];
  attention_mask: number[];
  labels: number[];
  loss: number;
  gradients: Record<string, Tensor>;
};

const tensors = (record: Record<string, Tensor>): NamedTensors =>
  new Map(Object.entries(record).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));

const batch: Batch = {
  x: new Float32Array(0),
  size: 4,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  labels: Int32Array.from(torch.labels),
};

describe('the float64 reference’s LoRA on attention projections against PyTorch (tests/fixtures/torch/tiny-lora.json)', () => {
  it('gives PyTorch’s loss and, by central differences, the gradients of the adapters and the head within 1e-5', () => {
    const spec = validateSpec(torch.spec);
    const weights = toWeights64(tensors(torch.weights));
    const inputs = new Map(Object.entries(batch.inputs!));
    const loss = (): number =>
      meanLoss('softmaxCrossEntropy', referenceForward(spec, weights, inputs, 4, { training: true, logits: true }).output, batch);
    expect(Math.abs(loss() - torch.loss)).toBeLessThan(1e-5);
    const gradients = finiteDifferenceGradients(loss, weights, Object.keys(torch.gradients));
    for (const [name, expected] of tensors(torch.gradients)) {
      const actual = gradients.get(name)!;
      expect(actual.length).toBe(expected.data.length);
      expect(Math.max(...Array.from(expected.data, (e, i) => Math.abs(actual[i]! - e))), `gradient of ${name}`).toBeLessThan(1e-5);
    }
  });
});
