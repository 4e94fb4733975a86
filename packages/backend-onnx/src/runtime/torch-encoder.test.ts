import { validateSpec, type Batch, type NamedTensors } from '@headstart/core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { requireRuntime } from './runtime.js';

// tests/fixtures/torch/tiny_distilbert.py: a one-block DistilBERT-style classifier written in plain PyTorch.
const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'tiny-distilbert.json');

interface Tensor {
  shape: number[];
  data: number[];
}
interface TorchFixture {
  spec: unknown;
  weights: Record<string, Tensor>;
  input_ids: number[];
  attention_mask: number[];
  labels: number[];
  probabilities: number[];
  loss: number;
  adam: { lr: number; loss_after: number; weights_after: Record<string, Tensor> };
}

const torch = JSON.parse(readFileSync(FIXTURE, 'utf8')) as TorchFixture;

const SPEC = validateSpec(torch.spec);

function tensors(record: Record<string, Tensor>): NamedTensors {
  return new Map(Object.entries(record).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));
}

const batch: Batch = {
  x: new Float32Array(0),
  size: torch.labels.length,
  inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
  labels: Int32Array.from(torch.labels),
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
  expect(worst, `${what}: largest difference`).toBeLessThan(1e-4);
}

describe('a DistilBERT-style encoder against PyTorch (tests/fixtures/torch/tiny-distilbert.json)', () => {
  it('gives PyTorch’s probabilities and loss, and after one Adam step its loss and weights, within 1e-4', async () => {
    const model = await createOnnxBackend().createModel(SPEC, tensors(torch.weights));
    const names = [...tensors(torch.weights).keys()];
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: torch.adam.lr }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    try {
      const before = await trainer.evaluate(batch);
      expectClose(before.outputs, torch.probabilities, 'probabilities');
      expect(Math.abs(before.lossSum / batch.size - torch.loss)).toBeLessThan(1e-4);
      const step = await trainer.step(batch, 1);
      expect(Math.abs(step.loss - torch.loss)).toBeLessThan(1e-4);
      const after = await trainer.evaluate(batch);
      expect(Math.abs(after.lossSum / batch.size - torch.adam.loss_after)).toBeLessThan(1e-4);
      const weights = await model.getWeights();
      for (const [name, expected] of tensors(torch.adam.weights_after)) {
        // The key bias shifts all of a query's scores alike: its gradient is 0 up to rounding, which Adam scales to ±lr.
        if (name === 'attn.kBias') continue;
        expectClose(weights.get(name)!.data, expected.data, `${name} after one Adam step`);
      }
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});

describe('the batch inputs of a model with named inputs', () => {
  const names = [...tensors(torch.weights).keys()];
  const options = {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.01 }],
    optimizer: { type: 'adam' as const },
    loss: 'softmaxCrossEntropy' as const,
  };
  const withInput = (name: string, values: Int32Array | Float32Array): Batch => ({ ...batch, inputs: { ...batch.inputs, [name]: values } });

  it.each([
    [
      'a token id outside the vocabulary',
      withInput(
        'input_ids',
        Int32Array.from(torch.input_ids, (id, i) => (i === 7 ? 20 : id)),
      ),
      'batch input "input_ids": token id 20 (value 7) is outside the vocabulary [0, 20) of layer "tok"',
    ],
    [
      'a mask value other than 0 and 1',
      withInput(
        'attention_mask',
        Int32Array.from(torch.attention_mask, (m, i) => (i === 2 ? 2 : m)),
      ),
      'batch input "attention_mask": mask value 2 (value 2) is not 0 or 1',
    ],
    [
      'a missing input',
      { ...batch, inputs: { input_ids: batch.inputs!.input_ids! } },
      'batch input "attention_mask": expected 4 samples of [6] (24 int32 values), got none',
    ],
    [
      'float ids',
      withInput('input_ids', Float32Array.from(torch.input_ids)),
      'batch input "input_ids": expected 4 samples of [6] (24 int32 values), got 24 float32 values',
    ],
  ])('refuses %s in one line, before running anything, and the weights stay', async (_what, bad, message) => {
    const model = await createOnnxBackend().createModel(SPEC, tensors(torch.weights));
    const trainer = model.trainer(options);
    try {
      await expect(trainer.step(bad, 1)).rejects.toThrow(message);
      await expect(trainer.evaluate(bad)).rejects.toThrow(message);
      expect((await model.getWeights()).get('tok.embeddings')!.data).toEqual(Float32Array.from(torch.weights['tok.embeddings']!.data));
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('refuses predict, which takes one input x, naming the model inputs; predictInputs gives PyTorch’s probabilities', async () => {
    const model = await createOnnxBackend().createModel(SPEC, tensors(torch.weights));
    try {
      await expect(model.predict(new Float32Array(6), 1)).rejects.toThrow(
        'predict takes one input x; this model takes named inputs (input_ids, attention_mask): use predictInputs',
      );
      expectClose(await model.predictInputs!(batch.inputs!, batch.size), torch.probabilities, 'probabilities of predictInputs');
    } finally {
      model.dispose();
    }
  });
});

describe('an encoder exported to ONNX', () => {
  it('takes its named inputs under their own names and gives PyTorch’s probabilities', async () => {
    const backend = createOnnxBackend();
    const model = await backend.createModel(SPEC, tensors(torch.weights));
    const file = join(mkdtempSync(join(tmpdir(), 'hs-encoder-')), 'encoder.onnx');
    try {
      await backend.exportModel!(model, 'onnx', file);
    } finally {
      model.dispose();
    }
    const ort = await requireRuntime();
    const session = await ort.InferenceSession.create(file);
    try {
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
      const shape = [batch.size, torch.input_ids.length / batch.size];
      const out = await session.run({
        input_ids: new ort.Tensor('int32', batch.inputs!.input_ids as Int32Array, shape),
        attention_mask: new ort.Tensor('int32', batch.inputs!.attention_mask as Int32Array, shape),
      });
      expectClose(out.output!.data as Float32Array, torch.probabilities, 'probabilities of the exported model');
    } finally {
      await session.release();
    }
  });
});
