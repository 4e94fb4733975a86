import { getRegistry, validateSpec, type Model } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, test, vi } from 'vitest';

const DENSE = validateSpec({
  inputShape: [3],
  layers: [
    { type: 'dense', name: 'd', units: 4, activation: 'gelu' },
    { type: 'batchNorm', name: 'bn' },
    { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
  ],
});
const CNN = validateSpec({
  inputShape: [5, 5, 1],
  layers: [
    { type: 'conv2d', name: 'conv', filters: 2, kernelSize: 3, activation: 'relu' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
  ],
});
const live: Model[] = [];
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

describe('tfjs engine choice', () => {
  test('importing the package registers "tfjs" without choosing a tfjs backend or loading wasm', async () => {
    await import('@headstart/backend-tfjs');
    expect(
      getRegistry()
        .list('backend')
        .find((e) => e.name === 'tfjs'),
    ).toMatchObject({ source: '@headstart/backend-tfjs', status: 'active' });
    // Nothing has selected (and so initialised) a tfjs backend yet, and the wasm backend is not even registered.
    expect(tf.engine().backendName).toBeFalsy();
    expect(tf.findBackendFactory('wasm')).toBeNull();
  });

  test('without tfjs-node, probe starts wasm and cpu and says why, noting the missing tfjs-node once', async () => {
    const { createTfjsBackend } = await import('../base.js');
    const notes: string[] = [];
    const warn = vi.spyOn(console, 'warn');
    const backend = createTfjsBackend({ note: (message) => notes.push(message) });
    const availability = await backend.probe();
    expect(availability).toEqual({
      available: true,
      engine: 'wasm+cpu',
      reasons: [
        'tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed)',
        'wasm engine ready (tfjs backend "wasm", SIMD, 1 thread): used for each model whose training kernels it has (convolution and embedding gradients: headstart\'s)',
        'cpu engine ready (tfjs backend "cpu", pure JS): used for models the wasm engine cannot train',
      ],
      details: { tfjsVersion: '4.22.0' },
    });
    expect(notes).toEqual(['tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed)']);
    await backend.probe();
    expect(notes).toHaveLength(1);
    // tfjs's own "install tfjs-node" banner is silenced: the note above said it once already.
    const model = await backend.createModel(CNN);
    live.push(model);
    await model.predict(new Float32Array(25), 1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  test('each model takes wasm when every kernel training it needs is there (convolutions included), else cpu', async () => {
    const { createTfjsBackend } = await import('../base.js');
    const { engineFor, startEngines } = await import('./engine.js');
    const backend = createTfjsBackend({ note: () => {} });
    const dense = await backend.createModel(DENSE, undefined, { seed: 1 });
    const cnn = await backend.createModel(CNN, undefined, { seed: 1 });
    live.push(dense, cnn);
    expect([dense.engine, cnn.engine]).toEqual(['tfjs/wasm', 'tfjs/wasm']);
    const set = await startEngines();
    expect(engineFor(set, DENSE)).toEqual({ engine: 'wasm', reason: 'the wasm engine has every kernel that training this model needs' });
    // Without headstart's convolution gradients, as tfjs-backend-wasm ships, a CNN goes to cpu.
    const ours = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    try {
      expect(engineFor(set, CNN)).toEqual({
        engine: 'cpu',
        reason: 'the wasm engine lacks Conv2DBackpropFilter (layer "conv"), which training this model needs',
      });
    } finally {
      tf.registerKernel(ours);
    }
    expect(engineFor(set, CNN).engine).toBe('wasm');
  });

  test('models on the two engines interleave: each computes on its own engine, with the same results as alone', async () => {
    const { createTfjsBackend } = await import('../base.js');
    const backend = createTfjsBackend({ note: () => {} });
    const dense = await backend.createModel(DENSE, undefined, { seed: 2 });
    const cnn = await backend.createModel(CNN, undefined, { seed: 2 });
    live.push(dense, cnn);
    const xDense = Float32Array.from({ length: 3 * 4 }, (_, i) => Math.sin(i));
    const xCnn = Float32Array.from({ length: 25 * 4 }, (_, i) => Math.cos(i));
    const alone = [await dense.predict(xDense, 4), await cnn.predict(xCnn, 4)];
    const trainerOf = (m: Model) => {
      const trainable = m
        .parameters()
        .filter((p) => p.trainable)
        .map((p) => p.name);
      return m.trainer({
        trainable,
        groups: [{ name: 'all', params: trainable, lr: 0.1 }],
        optimizer: { type: 'sgd' },
        loss: 'softmaxCrossEntropy',
        seed: 1,
      });
    };
    const [denseTrainer, cnnTrainer] = [trainerOf(dense), trainerOf(cnn)];
    // An op running on the other model's engine would pull that model's variables across: tfjs moves
    // tensor data between engines lazily, so no move at all means every op ran where its data lives.
    const moves = vi.spyOn(tf.engine(), 'moveData');
    const [denseOut, cnnOut] = await Promise.all([dense.predict(xDense, 4), cnn.predict(xCnn, 4)]);
    expect(denseOut).toEqual(alone[0]);
    expect(cnnOut).toEqual(alone[1]);
    const labels = Int32Array.of(0, 1, 1, 0);
    for (let i = 0; i < 3; i++) {
      const steps = await Promise.all([denseTrainer.step({ x: xDense, size: 4, labels }), cnnTrainer.step({ x: xCnn, size: 4, labels })]);
      expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
      await Promise.all([denseTrainer.evaluate({ x: xDense, size: 4, labels }), cnn.predict(xCnn, 4)]);
    }
    expect(moves).not.toHaveBeenCalled();
    moves.mockRestore();
    // Training changed both models (the cnn's conv kernel gradient ran on cpu).
    expect(await dense.predict(xDense, 4)).not.toEqual(alone[0]);
    expect(await cnn.predict(xCnn, 4)).not.toEqual(alone[1]);
    denseTrainer.dispose();
    cnnTrainer.dispose();
  });

  test('the registry starts the backend through probe', async () => {
    const started = await getRegistry().backend('tfjs');
    expect(started.availability.engine).toBe('wasm+cpu');
    expect(started.backend.name).toBe('tfjs');
  });
});
