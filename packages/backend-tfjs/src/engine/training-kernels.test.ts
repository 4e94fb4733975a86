import {
  createRng,
  initializeWeights,
  validateSpec,
  type LayerInput,
  type LossKind,
  type Model,
  type ModelSpec,
  type OptimizerConfig,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { startEngines } from './engine.js';
import { createTfjsModel } from '../model.js';
import { missingKernels, trainingKernels } from './training-kernels.js';

beforeAll(async () => {
  await startEngines(() => {});
});

/** Every layer type and activation, each between trainable layers so its gradient runs too. */
const FLAT: LayerInput[] = [
  { type: 'dense', name: 'd0', units: 6, activation: 'relu' },
  { type: 'batchNorm', name: 'bn' },
  { type: 'activation', name: 'leaky', activation: 'leakyRelu' },
  { type: 'dense', name: 'd1', units: 6, activation: 'gelu' },
  { type: 'dropout', name: 'drop', rate: 0.5 },
  { type: 'dense', name: 'd2', units: 5, activation: 'sigmoid' },
  { type: 'dense', name: 'd3', units: 5, activation: 'tanh', useBias: false },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];
const IMAGE: LayerInput[] = [
  { type: 'conv2d', name: 'c0', filters: 2, kernelSize: 2, padding: 'same', activation: 'leakyRelu' },
  { type: 'batchNorm', name: 'bn' },
  { type: 'maxPool2d', name: 'mp', poolSize: 2, strides: 1, padding: 'same' },
  { type: 'conv2d', name: 'c1', filters: 2, kernelSize: 2, activation: 'relu' },
  { type: 'avgPool2d', name: 'ap', poolSize: 2, strides: 1, padding: 'same' },
  { type: 'avgPool2d', name: 'ap2', poolSize: 2 },
  { type: 'globalAvgPool2d', name: 'gap' },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];
/**
 * A graph: explicit pads, relu6, depthwise (multiplier 2) and grouped convolutions, a residual add,
 * padded max and average pooling (with and without the pads counted) and a concat.
 */
const GRAPH: LayerInput[] = [
  { type: 'conv2d', name: 'stem', filters: 4, kernelSize: 3, padding: 1, activation: 'relu6' },
  { type: 'conv2d', name: 'dw', filters: 8, kernelSize: 3, padding: [1, 0, 1, 2], strides: [1, 2], groups: 4, activation: 'relu6' },
  { type: 'conv2d', name: 'g2', filters: 4, kernelSize: [1, 2], padding: [0, 1, 0, 0], groups: 2 },
  { type: 'conv2d', name: 'skip', filters: 4, kernelSize: 1, strides: [1, 2], inputs: ['stem'] },
  { type: 'add', name: 'sum', inputs: ['skip', 'g2'] },
  { type: 'maxPool2d', name: 'mp', poolSize: 3, strides: 2, padding: 1 },
  { type: 'avgPool2d', name: 'ap', poolSize: 2, strides: 1, padding: [0, 0, 1, 1], countIncludePad: false },
  { type: 'avgPool2d', name: 'ap2', poolSize: 2, strides: 1, padding: [1, 1, 0, 0], countIncludePad: true, inputs: ['mp'] },
  { type: 'concat', name: 'cat', inputs: ['ap', 'ap2'] },
  { type: 'globalAvgPool2d', name: 'gap' },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];
/** The same image layers without convolutions: what the wasm engine can train. */
const IMAGE_WITHOUT_CONV: LayerInput[] = [
  { type: 'maxPool2d', name: 'mp', poolSize: 2, strides: 1, padding: 'same' },
  { type: 'batchNorm', name: 'bn' },
  { type: 'avgPool2d', name: 'ap', poolSize: 2, strides: 1, padding: 'same' },
  { type: 'flatten', name: 'flat' },
  { type: 'dense', name: 'd0', units: 6, activation: 'leakyRelu' },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];

const OPTIMIZERS: OptimizerConfig[] = [{ type: 'sgd', momentum: 0.9, nesterov: true }, { type: 'adam' }, { type: 'adamw' }];

/** Labels for cross-entropy, or `outputs` regression targets per sample for mse (targets would be soft labels to cross-entropy). */
function batchFor(spec: ModelSpec, size: number, outputs: number, loss: LossKind = 'softmaxCrossEntropy') {
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  const rng = createRng(5);
  const x = Float32Array.from({ length: size * per }, () => rng.next() * 2 - 1);
  if (loss === 'mse') return { x, size, targets: Float32Array.from({ length: size * outputs }, () => rng.next()) };
  return { x, size, labels: Int32Array.from({ length: size }, (_, i) => i % 3) };
}

function trainerFor(model: Model, optimizer: OptimizerConfig, loss: LossKind, reference?: Awaited<ReturnType<Model['getWeights']>>) {
  const trainable = model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  return model.trainer({
    trainable,
    groups: [{ name: 'all', params: trainable, lr: 0.05, weightDecay: 0.01 }],
    optimizer,
    loss,
    seed: 4,
    ...(reference ? { l2sp: { weight: 0.1, reference } } : {}),
  });
}

describe('kernels training needs', () => {
  test.each([
    ['flat', [4], FLAT],
    ['image', [5, 5, 2], IMAGE],
    ['graph', [6, 6, 2], GRAPH],
  ] as const)('the table covers every kernel a %s model runs while training on cpu (tf.profile)', async (_, inputShape, layers) => {
    for (const loss of ['softmaxCrossEntropy', 'mse'] as const) {
      const spec = validateSpec({ inputShape: [...inputShape], layers: loss === 'mse' ? layers.slice(0, -1) : layers });
      const table = trainingKernels(spec);
      const model = createTfjsModel(spec, undefined, { engine: 'cpu', seed: 1 });
      const outputs = (await model.predict(batchFor(spec, 1, 0).x, 1)).length;
      const batch = batchFor(spec, 4, outputs, loss);
      const ran = new Set<string>();
      for (const optimizer of OPTIMIZERS) {
        const trainer = trainerFor(model, optimizer, loss, await model.getWeights());
        const profile = await tf.profile(async () => {
          await trainer.step(batch);
          await trainer.evaluate(batch);
          await model.predict(batch.x, batch.size);
        });
        profile.kernelNames.forEach((k) => ran.add(k));
        trainer.dispose();
      }
      model.dispose();
      // tf.profile also lists composite ops by name (logSoftmax__op); only registered kernels count.
      const kernels = [...ran].filter((k) => tf.getKernel(k, 'cpu'));
      expect(kernels.length).toBeGreaterThan(15);
      expect(
        kernels.filter((k) => !table.has(k)),
        `${loss}: kernels run but missing from the table`,
      ).toEqual([]);
    }
  });

  test('with the convolution gradients headstart registers, the wasm engine has every kernel headstart models need', () => {
    expect(missingKernels(validateSpec({ inputShape: [4], layers: FLAT }), 'wasm')).toEqual([]);
    expect(missingKernels(validateSpec({ inputShape: [5, 5, 2], layers: IMAGE_WITHOUT_CONV }), 'wasm')).toEqual([]);
    expect(missingKernels(validateSpec({ inputShape: [5, 5, 2], layers: IMAGE }), 'wasm')).toEqual([]);
    expect(missingKernels(validateSpec({ inputShape: [6, 6, 2], layers: GRAPH }), 'wasm')).toEqual([]);
    // The cpu engine has everything.
    expect(missingKernels(validateSpec({ inputShape: [6, 6, 2], layers: GRAPH }), 'cpu')).toEqual([]);
    expect(missingKernels(validateSpec({ inputShape: [5, 5, 2], layers: IMAGE }), 'cpu')).toEqual([]);
  });
});

describe('training on the wasm engine', () => {
  test.each([
    ['flat', [4], FLAT],
    ['image without conv', [5, 5, 2], IMAGE_WITHOUT_CONV],
    // Convolutions, grouped and depthwise ones, strided and padded: the gradients of wasm-conv-gradients.ts.
    ['image', [5, 5, 2], IMAGE],
    ['graph', [6, 6, 2], GRAPH],
  ] as const)('a %s model trains on wasm as on cpu: losses and weights within 1e-5 after 5 Adam steps', async (_, inputShape, layers) => {
    const spec = validateSpec({ inputShape: [...inputShape], layers });
    const weights = initializeWeights(spec, createRng(9));
    const batch = batchFor(spec, 8, 3);
    const run = async (engine: 'wasm' | 'cpu') => {
      const model = createTfjsModel(spec, weights, { engine, seed: 1 });
      const trainer = trainerFor(model, { type: 'adam' }, 'softmaxCrossEntropy', weights);
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push((await trainer.step(batch)).loss);
      const result = { losses, weights: await model.getWeights(), state: await trainer.getState(), engine: model.engine };
      trainer.dispose();
      model.dispose();
      return result;
    };
    const [wasm, cpu] = [await run('wasm'), await run('cpu')];
    expect([wasm.engine, cpu.engine]).toEqual(['tfjs/wasm', 'tfjs/cpu']);
    expect(wasm.losses[4]).toBeLessThan(wasm.losses[0]!);
    wasm.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]!)).toBeLessThan(1e-5));
    for (const [name, t] of cpu.weights) {
      const worst = t.data.reduce((max, v, i) => Math.max(max, Math.abs(v - wasm.weights.get(name)!.data[i]!)), 0);
      expect(worst, name).toBeLessThan(1e-5);
    }
  });
});
