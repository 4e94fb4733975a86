import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance, runConformance } from '@headstart/conformance';
import { expect, test } from 'vitest';

// tfjs-node is not installed here: every model runs on the wasm engine, convolutions included (with the
// gradients headstart registers for it, packages/backend-tfjs/src/engine/wasm-conv-gradients.ts).
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));

// A backend that refuses loss options skips the loss checks; tfjs implements them, so they must run.
test('tfjs runs the loss-option checks rather than skipping them', async () => {
  const report = await runConformance(() => createTfjsBackend({ note: () => undefined }), { checks: ['float64.loss.distillation'] });
  expect(report.results.map((r) => [r.id, r.status])).toEqual([['float64.loss.distillation', 'passed']]);
});

// tfjs has no sequence layers yet: the encoder checks skip with its one-line refusal, naming what it lacks.
test('tfjs skips the encoder checks with its refusal of named inputs', async () => {
  const report = await runConformance(() => createTfjsBackend({ note: () => undefined }), { checks: ['float64.train.encoder'] });
  expect(report.results.map((r) => [r.id, r.status, r.reason])).toEqual([
    [
      'float64.train.encoder',
      'skipped',
      'the backend refuses sequence models: model inputs "input_ids", "attention_mask": named model inputs are not supported by the tfjs backend yet; use --backend onnx',
    ],
  ]);
});
