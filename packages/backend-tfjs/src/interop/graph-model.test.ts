import { createRng, initializeWeights, validateSpec, type ModelSpec, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLoadHandler } from '../__fixtures__/layers-model-files.js';
import { tensors, torch } from '../__fixtures__/tiny-distilbert.js';
import { createTfjsBackend } from '../base.js';

const weights = tensors(torch.weights);
const size = torch.labels.length;
const backend = createTfjsBackend({ note: () => undefined });

function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}

/** The graph model's output for the fixture's token ids and mask, run by tfjs-converter as a user would. */
async function runGraphModel(modelJson: string): Promise<Float32Array> {
  const model = await tf.loadGraphModel(fileLoadHandler(modelJson));
  const shape: [number, number] = [size, torch.input_ids.length / size];
  const inputs = {
    input_ids: tf.tensor2d(torch.input_ids, shape, 'int32'),
    attention_mask: tf.tensor2d(torch.attention_mask, shape, 'int32'),
  };
  const output = model.execute(inputs) as tf.Tensor;
  try {
    return new Float32Array(await output.data());
  } finally {
    tf.dispose([output, inputs.input_ids, inputs.attention_mask]);
    model.dispose();
  }
}

/** Export `spec` with `given` weights to a fresh folder; the model's own predictions on the fixture's batch, and the folder. */
async function exported(spec: ModelSpec, given: NamedTensors): Promise<{ own: Float32Array; out: string }> {
  const model = await backend.createModel(spec, given);
  const out = join(mkdtempSync(join(tmpdir(), 'hs-graph-')), 'web');
  try {
    expect(await backend.exportModel!(model, 'tfjs', out)).toEqual({ description: 'graph model; load it with tf.loadGraphModel' });
    const inputs = { input_ids: Int32Array.from(torch.input_ids), attention_mask: Int32Array.from(torch.attention_mask) };
    return { own: await model.predictInputs!(inputs, size), out };
  } finally {
    model.dispose();
  }
}

describe('tfjs export of a text encoder as a graph model', () => {
  it('writes a graph model that tf.loadGraphModel runs like the model (≤ 1e-5) and like PyTorch (≤ 1e-4), padding included', async () => {
    const { own, out } = await exported(validateSpec(torch.spec), weights);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(json.format).toBe('graph-model');
    expect(json.weightsManifest.map((g) => g.paths)).toEqual([['weights.bin']]);
    const got = await runGraphModel(join(out, 'model.json'));
    expect(largestDifference(got, own)).toBeLessThan(1e-5);
    expect(largestDifference(got, torch.probabilities)).toBeLessThan(1e-4);
  });

  it('computes LoRA adapters on attention projections as the model does (≤ 1e-5)', async () => {
    const raw = torch.spec as { layers: { name: string }[] };
    const spec = validateSpec({
      ...raw,
      layers: raw.layers.map((l) => (l.name === 'attn' ? { ...l, lora: { rank: 2, alpha: 4, projections: ['q', 'v', 'out'] } } : l)),
    });
    // Fresh adapters have B = 0; random ones make the adapters change the output.
    const fresh = initializeWeights(spec, createRng(3));
    const adapted = new Map([...weights, ...[...fresh].filter(([name]) => name.includes('Lora'))]);
    for (const p of ['q', 'v', 'out'])
      adapted.set(`attn.${p}LoraB`, { shape: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + p.length)) });
    const { own, out } = await exported(spec, adapted);
    expect(largestDifference(own, torch.probabilities)).toBeGreaterThan(1e-3);
    expect(largestDifference(await runGraphModel(join(out, 'model.json')), own)).toBeLessThan(1e-5);
  });

  it('refuses a layer type it has no ops for, in one line naming the layer and type, writing nothing', async () => {
    const spec = validateSpec({
      inputs: [{ name: 'input_ids', shape: [6], dtype: 'int32' }],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 20, units: 8 },
        { type: 'sequencePool', name: 'pool', mode: 'mean' },
        { type: 'batchNorm', name: 'bn' },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    });
    const model = await backend.createModel(spec, undefined);
    const out = join(mkdtempSync(join(tmpdir(), 'hs-graph-')), 'web');
    try {
      await expect(backend.exportModel!(model, 'tfjs', out)).rejects.toThrow(
        'layer "bn": type batchNorm: the tfjs graph-model export (for models with named inputs or sequence layers) has no ops for it yet; export with --format onnx',
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      model.dispose();
    }
  });
});
