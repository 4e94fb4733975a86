import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance, runConformance } from '@headstart/conformance';
import { expect, test } from 'vitest';

// tfjs-node is not installed here: dense-only models run on the wasm engine, models with
// convolutions on the pure-JS cpu engine (wasm lacks their gradients), so both are checked.
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));

// A backend that refuses loss options skips the loss checks; tfjs implements them, so they must run.
test('tfjs runs the loss-option checks rather than skipping them', async () => {
  const report = await runConformance(() => createTfjsBackend({ note: () => undefined }), { checks: ['float64.loss.distillation'] });
  expect(report.results.map((r) => [r.id, r.status])).toEqual([['float64.loss.distillation', 'passed']]);
});
