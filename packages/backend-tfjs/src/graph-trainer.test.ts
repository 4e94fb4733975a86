import { createRng, permutation, validateSpec, type Model, type ModelSpecInput, type TrainerOptions } from '@headstart/core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { accuracy, batches, loadDigits, stratifiedSplit, subset, type Samples } from './__fixtures__/digits.js';
import { createTfjsBackend } from './base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];
let train: Samples;
let test_: Samples;

beforeAll(() => {
  // 500 shuffled training samples keep each test to seconds on the cpu engine.
  ({ train, test: test_ } = stratifiedSplit(loadDigits(), 0.2, 7));
  train = subset(train, permutation(train.size, createRng(2)).subarray(0, 500));
});
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

async function model(input: ModelSpecInput): Promise<Model> {
  const created = await backend.createModel(validateSpec(input), undefined, { seed: 1 });
  live.push(created);
  return created;
}

function options(
  m: Model,
  trainable = m
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name),
  lr = 1e-2,
): TrainerOptions {
  return { trainable, groups: [{ name: 'all', params: trainable, lr }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy', seed: 3 };
}

/** The exact bytes of a tensor, so equal means bit-identical. */
function bits(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A ResNet basic block on digits as 8×8×1 images: a strided stem (small, since the cpu engine's
 * convolution gradients are slow), conv-bn-relu-conv-bn plus the identity, then relu.
 */
const RESIDUAL: ModelSpecInput = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 6, kernelSize: 3, strides: 2, padding: 1, activation: 'relu' },
    { type: 'conv2d', name: 'c1', filters: 6, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm', name: 'bn1', momentum: 0.8 },
    { type: 'activation', name: 'relu1', activation: 'relu' },
    { type: 'conv2d', name: 'c2', filters: 6, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm', name: 'bn2', momentum: 0.8 },
    { type: 'add', name: 'sum', inputs: ['stem', 'bn2'] },
    { type: 'activation', name: 'relu2', activation: 'relu' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
};
/** A MobileNetV2 inverted residual on digits: strided stem, 1×1 expand ×3, depthwise 3×3, linear 1×1 projection, add. */
const INVERTED: ModelSpecInput = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 8, kernelSize: 3, strides: 2, padding: 1, activation: 'relu6' },
    { type: 'conv2d', name: 'expand', filters: 24, kernelSize: 1, useBias: false },
    { type: 'batchNorm', name: 'bn_e', momentum: 0.8 },
    { type: 'activation', name: 'relu6_e', activation: 'relu6' },
    { type: 'conv2d', name: 'dw', filters: 24, kernelSize: 3, padding: 1, groups: 24, useBias: false },
    { type: 'batchNorm', name: 'bn_dw', momentum: 0.8 },
    { type: 'activation', name: 'relu6_dw', activation: 'relu6' },
    { type: 'conv2d', name: 'project', filters: 8, kernelSize: 1, useBias: false },
    { type: 'batchNorm', name: 'bn_p', momentum: 0.8 },
    { type: 'add', name: 'sum', inputs: ['stem', 'bn_p'] },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
};

async function trainEpochs(m: Model, opts: TrainerOptions, epochs: number): Promise<number[]> {
  const trainer = m.trainer(opts);
  const rng = createRng(11);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    let total = 0;
    for (const batch of batches(train, 32, rng)) total += (await trainer.step(batch)).loss * batch.size;
    losses.push(total / train.size);
  }
  trainer.dispose();
  return losses;
}

describe('graphs train on digits (8×8×1)', () => {
  test.each([
    ['a residual block', RESIDUAL, 0.85],
    ['a MobileNetV2 inverted-residual block', INVERTED, 0.85],
  ] as const)('%s reaches the accuracy given after 3 Adam epochs on 500 samples', async (what, spec, floor) => {
    const m = await model(spec);
    const started = Date.now();
    const losses = await trainEpochs(m, options(m), 3);
    const acc = accuracy(await m.predict(test_.x, test_.size), test_.labels);
    console.info(
      `digits ${what}: accuracy ${acc.toFixed(4)}, loss ${losses[0]!.toFixed(3)} → ${losses[2]!.toFixed(3)}, ${Date.now() - started} ms`,
    );
    expect(losses[2]).toBeLessThan(losses[0]!);
    expect(acc).toBeGreaterThanOrEqual(floor);
  });

  test('a frozen batch norm in a residual net stays bit-identical and in inference mode', async () => {
    const m = await model(RESIDUAL);
    const before = await m.getWeights();
    // The base is frozen, so both batch norms are; only the head trains.
    const trainer = m.trainer(options(m, ['head.kernel', 'head.bias']));
    const [first, ...rest] = batches(train, 32, createRng(5)).slice(0, 6);
    // Inference mode: the training-mode loss of a step equals the evaluation loss of the same weights.
    const stepLoss = (await trainer.step(first!, { lrScale: 0 })).loss;
    const evaluated = await trainer.evaluate(first!);
    expect(Math.abs(stepLoss - evaluated.lossSum / first!.size)).toBeLessThan(1e-5);
    for (const batch of rest) await trainer.step(batch);
    trainer.dispose();
    const after = await m.getWeights();
    for (const name of [
      'bn1.gamma',
      'bn1.beta',
      'bn1.movingMean',
      'bn1.movingVariance',
      'bn2.movingMean',
      'bn2.movingVariance',
      'c2.kernel',
      'stem.kernel',
    ])
      expect(bits(after.get(name)!.data).equals(bits(before.get(name)!.data)), name).toBe(true);
    expect(bits(after.get('head.kernel')!.data).equals(bits(before.get('head.kernel')!.data))).toBe(false);
    // An unfrozen batch norm uses the batch's statistics: the same check then tells the modes apart.
    const unfrozen = m.trainer(options(m, ['head.kernel', 'bn2.gamma']));
    const trainingLoss = (await unfrozen.step(first!, { lrScale: 0 })).loss;
    expect(Math.abs(trainingLoss - (await unfrozen.evaluate(first!)).lossSum / first!.size)).toBeGreaterThan(1e-3);
    unfrozen.dispose();
  });
});
