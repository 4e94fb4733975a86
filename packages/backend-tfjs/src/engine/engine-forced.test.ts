import { validateSpec } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, test } from 'vitest';

const DENSE = validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 3, activation: 'softmax' }] });
const before = process.env.HEADSTART_TFJS_ENGINE;
afterAll(() => {
  if (before === undefined) delete process.env.HEADSTART_TFJS_ENGINE;
  else process.env.HEADSTART_TFJS_ENGINE = before;
});

test('HEADSTART_TFJS_ENGINE forces one engine for every model, and a wrong value is refused naming the choices', async () => {
  const { createTfjsBackend } = await import('../base.js');
  process.env.HEADSTART_TFJS_ENGINE = 'gpu';
  await expect(createTfjsBackend({ note: () => {} }).probe()).rejects.toThrow(
    'HEADSTART_TFJS_ENGINE=gpu: expected one of tfjs-node, wasm, cpu',
  );

  process.env.HEADSTART_TFJS_ENGINE = 'cpu';
  const backend = createTfjsBackend({ note: () => {} });
  expect(await backend.probe()).toMatchObject({
    available: true,
    engine: 'cpu',
    reasons: [
      'tfjs-node: not tried (HEADSTART_TFJS_ENGINE=cpu)',
      'wasm: not tried (HEADSTART_TFJS_ENGINE=cpu)',
      'cpu engine ready (tfjs backend "cpu", pure JS): used for every model',
    ],
  });
  // A dense-only model, which would run on wasm otherwise, runs on cpu; wasm was never loaded.
  const model = await backend.createModel(DENSE);
  expect(model.engine).toBe('tfjs/cpu');
  expect((await model.predict(Float32Array.of(1, 2), 1)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  model.dispose();
  expect(tf.findBackendFactory('wasm')).toBeNull();
});
