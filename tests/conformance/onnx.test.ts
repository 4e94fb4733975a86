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
