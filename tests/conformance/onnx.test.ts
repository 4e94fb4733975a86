import { createOnnxBackend } from '@headstart/backend-onnx';
import { describeBackendConformance, runConformance } from '@headstart/conformance';
import { expect, test } from 'vitest';

describeBackendConformance('onnx', () => createOnnxBackend());

// A check of an optional capability skips when the capability is missing; onnx has stepMany, so
// train.step-many must run here, not pass by skipping.
test('onnx runs train.step-many (its trainer has stepMany) rather than skipping it', async () => {
  const report = await runConformance(() => createOnnxBackend(), { checks: ['train.step-many'] });
  expect(report.results).toMatchObject([{ id: 'train.step-many', status: 'passed' }]);
});

// A backend that refuses loss options skips the loss checks; onnx implements them, so they must run.
test('onnx runs the loss-option checks (label smoothing, distillation through stepMany) rather than skipping them', async () => {
  const report = await runConformance(() => createOnnxBackend(), { checks: ['float64.loss.label-smoothing', 'float64.loss.step-many'] });
  expect(report.results.map((r) => [r.id, r.status])).toEqual([
    ['float64.loss.label-smoothing', 'passed'],
    ['float64.loss.step-many', 'passed'],
  ]);
});

// A backend without sequence models skips the encoder and masked-language-model checks; onnx runs them, so they must pass, not skip.
test('onnx runs the encoder checks (named inputs, attention over a padding mask, the masked-token loss) rather than skipping them', async () => {
  const report = await runConformance(() => createOnnxBackend(), {
    checks: ['float64.evaluate.encoder', 'float64.train.encoder', 'float64.evaluate.mlm', 'float64.train.mlm'],
  });
  expect(report.results.map((r) => [r.id, r.status, r.reason ?? ''])).toEqual([
    ['float64.evaluate.encoder', 'passed', ''],
    ['float64.train.encoder', 'passed', ''],
    ['float64.evaluate.mlm', 'passed', ''],
    ['float64.train.mlm', 'passed', ''],
  ]);
});
