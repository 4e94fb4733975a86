import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeOnTokens, loadGraphModelFile } from '../fixtures/tfjs-graph-model.js';

// Issue 18: the PyTorch-exported encoders of tests/fixtures/torch/encoders, imported, exported with --format tfjs as a
// graph model and run by tf.loadGraphModel give headstart's own predictions and onnxruntime's logits for the original file.
const ENCODERS = join(import.meta.dirname, '..', 'fixtures', 'torch', 'encoders');

interface Expected {
  batches: { input_ids: number[]; attention_mask: number[]; shape: [number, number] }[];
}
const { batches } = JSON.parse(await readFile(join(ENCODERS, 'expected.json'), 'utf8')) as Expected;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-encoder-graph-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The largest absolute difference of two equally long arrays. */
function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}

describe.each(['tiny-distilbert.opset17.onnx', 'tiny-bert.opset17.onnx', 'tiny-bert-mean.opset17.onnx'])(
  'an imported %s exported as a tfjs graph model',
  (name) => {
    it("gives headstart's predictions (≤ 1e-5) and onnxruntime's logits for the original file (≤ 1e-4), padded sequences included", async () => {
      const file = join(ENCODERS, name);
      const onnx = createOnnxBackend();
      const tfjs = createTfjsBackend({ note: () => undefined });
      const { spec, weights } = await onnx.importModel!(file);
      const [onTfjs, onOnnx] = [await tfjs.createModel(spec, weights), await onnx.createModel(spec, weights)];
      const out = join(dir, name.replace('.onnx', ''));
      expect(await tfjs.exportModel!(onTfjs, 'tfjs', out)).toEqual({ description: 'graph model; load it with tf.loadGraphModel' });
      const [graph, session] = [await loadGraphModelFile(join(out, 'model.json')), await ort.InferenceSession.create(file)];
      try {
        for (const b of batches) {
          const inputs = { input_ids: Int32Array.from(b.input_ids), attention_mask: Int32Array.from(b.attention_mask) };
          const got = await executeOnTokens(graph, b.input_ids, b.attention_mask, b.shape[0]);
          const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), b.shape);
          const logits = (await session.run({ input_ids: int64(b.input_ids), attention_mask: int64(b.attention_mask) })).logits!;
          const differences = [
            largestDifference(got, await onTfjs.predictInputs!(inputs, b.shape[0])),
            largestDifference(got, await onOnnx.predictInputs!(inputs, b.shape[0])),
            largestDifference(got, logits.data as Float32Array),
          ];
          expect(differences[0]).toBeLessThan(1e-5);
          expect(differences[1]).toBeLessThan(1e-5);
          expect(differences[2]).toBeLessThan(1e-4);
        }
      } finally {
        await session.release();
        graph.dispose();
        onTfjs.dispose();
        onOnnx.dispose();
      }
    });
  },
);
