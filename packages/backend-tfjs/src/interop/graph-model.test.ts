import { validateSpec, type Batch, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLoadHandler } from '../__fixtures__/layers-model-files.js';
import { createTfjsBackend } from '../base.js';

// tests/fixtures/torch/tiny_distilbert.py: a one-block DistilBERT-style classifier written in plain PyTorch.
const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'tiny-distilbert.json');

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
  probabilities: number[];
};
const weights: NamedTensors = new Map(
  Object.entries(torch.weights).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]),
);

function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}

/** The graph model's output for token ids and a mask `[n, T]`, run by tfjs-converter as a user would. */
async function runGraphModel(modelJson: string, ids: number[], mask: number[], n: number): Promise<Float32Array> {
  const model = await tf.loadGraphModel(fileLoadHandler(modelJson));
  const shape = [n, ids.length / n];
  const inputs = { input_ids: tf.tensor2d(ids, shape as [number, number], 'int32'), attention_mask: tf.tensor2d(mask, shape as [number, number], 'int32') };
  const output = model.execute(inputs) as tf.Tensor;
  try {
    return new Float32Array(await output.data());
  } finally {
    tf.dispose([output, inputs.input_ids, inputs.attention_mask]);
    model.dispose();
  }
}

describe('tfjs export of a text encoder as a graph model', () => {
  it('writes a graph model tf.loadGraphModel runs like the model (≤ 1e-5) and like PyTorch (≤ 1e-4)', async () => {
    const backend = createTfjsBackend({ note: () => undefined });
    const spec = validateSpec(torch.spec);
    const model = await backend.createModel(spec, weights);
    const out = join(mkdtempSync(join(tmpdir(), 'hs-graph-')), 'web');
    try {
      expect(await backend.exportModel!(model, 'tfjs', out)).toEqual({ description: 'graph model; load it with tf.loadGraphModel' });
      const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { format: string; signature: unknown };
      expect(json.format).toBe('graph-model');
      const n = torch.labels.length;
      const batch: Batch = {
        x: new Float32Array(0),
        size: n,
        inputs: { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) },
      };
      const own = await model.predictInputs!(batch.inputs!, n);
      const got = await runGraphModel(join(out, 'model.json'), torch.input_ids, torch.attention_mask, n);
      console.log(largestDifference(got, own), largestDifference(got, torch.probabilities));
      expect(largestDifference(got, own)).toBeLessThan(1e-5);
      expect(largestDifference(got, torch.probabilities)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });
});
