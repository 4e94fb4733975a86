import { validateSpec } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { expect, test, vi } from 'vitest';

// tfjs-node cannot be installed here; stand in for it with a module that, like the real one,
// registers a "tensorflow" backend on import (here the cpu kernels under that name).
vi.mock('@tensorflow/tfjs-node', () => {
  const Cpu = tf.findBackendFactory('cpu')!().constructor as new () => tf.KernelBackend;
  tf.registerBackend('tensorflow', () => new Cpu(), 3);
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
  return {};
});

test('tfjs-node is preferred when it can be imported', async () => {
  const { createTfjsBackend } = await import('../base.js');
  const notes: string[] = [];
  const backend = createTfjsBackend({ note: (message) => notes.push(message) });
  const availability = await backend.probe();
  expect(availability).toMatchObject({
    available: true,
    engine: 'tfjs-node',
    reasons: ['using the tfjs-node engine (tfjs backend "tensorflow") for every model'],
  });
  expect(notes).toEqual([]);
  expect(tf.getBackend()).toBe('tensorflow');
  const model = await backend.createModel(
    validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 3, activation: 'softmax' }] }),
  );
  expect(model.engine).toBe('tfjs/tfjs-node');
  expect((await model.predict(Float32Array.of(1, 2), 1)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  model.dispose();
  // tfjs-node has every kernel, so convolutions run there too (the wasm engine is not even started).
  const cnn = await backend.createModel(
    validateSpec({ inputShape: [4, 4, 1], layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3 }] }),
  );
  expect(cnn.engine).toBe('tfjs/tfjs-node');
  cnn.dispose();
  expect(tf.findBackend('wasm')).toBeNull();
});
