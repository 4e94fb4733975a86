import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import type { Batch } from '@headstart/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

// The PyTorch-exported encoders of tests/fixtures/torch/encoders, imported by the onnx backend and run
// on tfjs: the same layers give onnxruntime's logits for the original file there too.
const ENCODERS = join(import.meta.dirname, '..', 'fixtures', 'torch', 'encoders');

interface Expected {
  batches: { input_ids: number[]; attention_mask: number[]; shape: [number, number] }[];
}
const { batches } = JSON.parse(readFileSync(join(ENCODERS, 'expected.json'), 'utf8')) as Expected;

describe.each(['tiny-distilbert.opset14.onnx', 'tiny-bert.opset17.onnx', 'tiny-bert-mean.opset17.onnx'])(
  'an imported %s on tfjs',
  (name) => {
    it("predicts onnxruntime's logits for the original file, padded sequences included (≤ 1e-4)", async () => {
      const file = join(ENCODERS, name);
      const { spec, weights } = await createOnnxBackend().importModel!(file);
      const model = await createTfjsBackend({ note: () => undefined }).createModel(spec, weights);
      const trainer = model.trainer({ trainable: [], groups: [], optimizer: { type: 'adam' }, loss: 'mse' });
      const session = await ort.InferenceSession.create(file);
      try {
        for (const b of batches) {
          const batch: Batch = {
            x: new Float32Array(0),
            size: b.shape[0],
            inputs: { input_ids: Int32Array.from(b.input_ids), attention_mask: Int32Array.from(b.attention_mask) },
            targets: new Float32Array(b.shape[0] * 3),
          };
          const got = (await trainer.evaluate(batch)).outputs;
          const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), b.shape);
          const want = (await session.run({ input_ids: int64(b.input_ids), attention_mask: int64(b.attention_mask) })).logits!
            .data as Float32Array;
          expect(got.length).toBe(want.length);
          expect(Math.max(...Array.from(want, (w, i) => Math.abs(got[i]! - w)))).toBeLessThan(1e-4);
        }
      } finally {
        await session.release();
        trainer.dispose();
        model.dispose();
      }
    });
  },
);
