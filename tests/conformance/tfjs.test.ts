import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance, runConformance } from '@headstart/conformance';
import { expect, test } from 'vitest';

// tfjs-node is not installed here: every model runs on the wasm engine, convolutions and encoders included (with the
// gradients headstart registers for it, packages/backend-tfjs/src/engine/wasm-conv-gradients.ts and wasm-segment-sum.ts).
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));

// A backend that refuses loss options skips the loss checks; tfjs implements them, so they must run.
test('tfjs runs the loss-option checks rather than skipping them', async () => {
  const report = await runConformance(() => createTfjsBackend({ note: () => undefined }), { checks: ['float64.loss.distillation'] });
  expect(report.results.map((r) => [r.id, r.status])).toEqual([['float64.loss.distillation', 'passed']]);
});

// A backend without sequence models skips the encoder and masked-language-model checks; tfjs runs them, so they must pass, not skip.
test('tfjs runs the encoder checks (named inputs, attention over a padding mask, LoRA on its projections, the masked-token loss) rather than skipping them', async () => {
  const report = await runConformance(() => createTfjsBackend({ note: () => undefined }), {
    checks: [
      'float64.evaluate.encoder',
      'float64.train.encoder',
      'float64.train.encoder-lora',
      'float64.evaluate.mlm',
      'float64.train.mlm',
    ],
  });
  expect(report.results.map((r) => [r.id, r.status, r.reason ?? ''])).toEqual([
    ['float64.evaluate.encoder', 'passed', ''],
    ['float64.train.encoder', 'passed', ''],
    ['float64.train.encoder-lora', 'passed', ''],
    ['float64.evaluate.mlm', 'passed', ''],
    ['float64.train.mlm', 'passed', ''],
  ]);
});
