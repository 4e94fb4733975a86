import { createRng, initializeWeights, validateSpec, type ModelSpecInput, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLoadHandler } from '../__fixtures__/layers-model-files.js';
import { createTfjsBackend } from '../base.js';

// The layer options and input kinds the encoder fixtures (graph-model.test.ts, tests/conformance) do not have, each
// exported and run by tf.loadGraphModel against the model's own predictions on the same batch.
const backend = createTfjsBackend({ note: () => undefined });

/** Fresh weights moved off their initial values (LoRA's B = 0, biases 0, gamma 1), so every term counts. */
function perturbed(spec: ModelSpecInput): NamedTensors {
  const fresh = initializeWeights(validateSpec(spec), createRng(5));
  return new Map(
    [...fresh].map(([name, t], k) => [name, { shape: t.shape, data: Float32Array.from(t.data, (v, i) => v + 0.4 * Math.sin(7 * i + k)) }]),
  );
}

/** One input by name: its values, dtype and `[n, ...shape]`. */
type Feed = Record<string, { values: number[]; dtype: 'int32' | 'float32'; shape: number[] }>;

/** The largest difference between the exported graph model's output and the model's own, for `feed` of `n` samples. */
async function gap(input: ModelSpecInput, feed: Feed, n: number): Promise<number> {
  const spec = validateSpec(input);
  const model = await backend.createModel(spec, perturbed(input));
  const out = join(mkdtempSync(join(tmpdir(), 'hs-graph-options-')), 'web');
  let own: Float32Array;
  try {
    await backend.exportModel!(model, 'tfjs', out);
    const arrays = Object.fromEntries(
      Object.entries(feed).map(([name, f]) => [name, f.dtype === 'int32' ? Int32Array.from(f.values) : Float32Array.from(f.values)]),
    );
    own = spec.inputs ? await model.predictInputs!(arrays, n) : await model.predict(arrays.x as Float32Array, n);
  } finally {
    model.dispose();
  }
  const graph = await tf.loadGraphModel(fileLoadHandler(join(out, 'model.json')));
  const tensors = Object.fromEntries(Object.entries(feed).map(([name, f]) => [name, tf.tensor(f.values, f.shape, f.dtype)]));
  const output = graph.execute(tensors) as tf.Tensor;
  try {
    const got = await output.data();
    expect(got.length).toBe(own.length);
    return Math.max(...Array.from(own, (v, i) => Math.abs(got[i]! - v)));
  } finally {
    tf.dispose([output, ...Object.values(tensors)]);
    graph.dispose();
  }
}

const T = 5;
/** Token ids `[n, T]`; the last two tokens of every row are padding (id 0), and with `emptyRow` row 1 is padding only. */
function tokens(n: number, emptyRow = false): { ids: number[]; mask: number[] } {
  const pad = (i: number) => i % T >= T - 2 || (emptyRow && Math.floor(i / T) === 1);
  const ids = Array.from({ length: n * T }, (_, i) => (pad(i) ? 0 : 1 + ((i * 7) % 18)));
  return { ids, mask: ids.map((id) => (id === 0 ? 0 : 1)) };
}

describe('tfjs graph-model export: options the encoder fixtures lack', () => {
  it('padding index, longer position table, epsilon, 3 heads, LoRA on k and out, GELU, bias-free dense, residual of 3, activations, first-token pooling; batches of 1 and 3', async () => {
    const spec: ModelSpecInput = {
      inputs: [
        { name: 'input_ids', shape: [T], dtype: 'int32' },
        { name: 'attention_mask', shape: [T], dtype: 'int32' },
      ],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 20, units: 6, paddingIndex: 0, inputs: ['input_ids'] },
        { type: 'positionEmbedding', name: 'pos', maxLength: 9 },
        { type: 'layerNorm', name: 'ln0', epsilon: 1e-12 },
        {
          type: 'attention',
          name: 'attn',
          heads: 3,
          inputs: ['ln0', 'attention_mask'],
          lora: { rank: 3, alpha: 1, projections: ['k', 'out'] },
        },
        { type: 'dropout', name: 'drop', rate: 0.3 },
        { type: 'add', name: 'res', inputs: ['ln0', 'drop'] },
        { type: 'layerNorm', name: 'ln1' },
        { type: 'dense', name: 'ff1', units: 7, activation: 'gelu' },
        { type: 'dense', name: 'ff2', units: 6, activation: 'linear', useBias: false },
        { type: 'add', name: 'res2', inputs: ['ln1', 'ff2', 'res'] },
        { type: 'activation', name: 'act', activation: 'tanh' },
        { type: 'sequencePool', name: 'pool', mode: 'first' },
        { type: 'dense', name: 'hidden', units: 5, activation: 'leakyRelu' },
        { type: 'dense', name: 'hidden2', units: 4, activation: 'relu6' },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    };
    for (const n of [1, 3]) {
      const { ids, mask } = tokens(n);
      const feed: Feed = {
        input_ids: { values: ids, dtype: 'int32', shape: [n, T] },
        attention_mask: { values: mask, dtype: 'int32', shape: [n, T] },
      };
      expect(await gap(spec, feed, n)).toBeLessThan(1e-5);
    }
  });

  it('mean pooling over a float32 mask with a row of padding only, a sigmoid head', async () => {
    const spec: ModelSpecInput = {
      inputs: [
        { name: 'input_ids', shape: [T], dtype: 'int32' },
        { name: 'attention_mask', shape: [T], dtype: 'float32' },
      ],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 20, units: 4 },
        { type: 'attention', name: 'attn', heads: 2, inputs: ['tok', 'attention_mask'] },
        { type: 'dense', name: 'tokens', units: 3, activation: 'relu' },
        { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['tokens', 'attention_mask'] },
        { type: 'dense', name: 'head', units: 1, activation: 'sigmoid' },
      ],
    };
    const { ids, mask } = tokens(3, true);
    const feed: Feed = {
      input_ids: { values: ids, dtype: 'int32', shape: [3, T] },
      attention_mask: { values: mask, dtype: 'float32', shape: [3, T] },
    };
    expect(await gap(spec, feed, 3)).toBeLessThan(1e-5);
  });

  it('named inputs keep their names, one called "input" too (the name of the model input of a spec without named inputs)', async () => {
    const spec: ModelSpecInput = {
      inputs: [
        { name: 'input', shape: [T], dtype: 'int32' },
        { name: 'mask', shape: [T], dtype: 'int32' },
      ],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 20, units: 4, inputs: ['input'] },
        { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['tok', 'mask'] },
        { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
      ],
    };
    const { ids, mask } = tokens(2);
    const feed: Feed = { input: { values: ids, dtype: 'int32', shape: [2, T] }, mask: { values: mask, dtype: 'int32', shape: [2, T] } };
    expect(await gap(spec, feed, 2)).toBeLessThan(1e-5);
  });

  it('a sequence of floats without named inputs (fed as x): layer norm, attention without mask, mean pooling', async () => {
    const spec: ModelSpecInput = {
      inputShape: [3, 4],
      layers: [
        { type: 'layerNorm', name: 'ln' },
        { type: 'attention', name: 'attn', heads: 4 },
        { type: 'sequencePool', name: 'pool', mode: 'mean' },
        { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
      ],
    };
    const x = Array.from({ length: 2 * 12 }, (_, i) => Math.sin(i));
    expect(await gap(spec, { x: { values: x, dtype: 'float32', shape: [2, 3, 4] } }, 2)).toBeLessThan(1e-5);
  });
});
