import {
  createRng,
  validateSpec,
  type Batch,
  type Model,
  type ModelSpecInput,
  type NamedTensors,
  type TrainerOptions,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { accuracy, batches, loadDigits, stratifiedSplit, type Samples } from './__fixtures__/digits.js';
import { createTfjsBackend } from './base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];
let train: Samples;
let test_: Samples;

beforeAll(() => {
  ({ train, test: test_ } = stratifiedSplit(loadDigits(), 0.2, 7));
});
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

async function model(input: ModelSpecInput, seed = 1, weights?: NamedTensors): Promise<Model> {
  const created = await backend.createModel(validateSpec(input), weights, { seed });
  live.push(created);
  return created;
}

/** Options training `trainable` (default: every trainable parameter) in one group. */
function options(m: Model, { lr, ...overrides }: Partial<TrainerOptions> & { lr?: number } = {}): TrainerOptions {
  const trainable =
    overrides.trainable ??
    m
      .parameters()
      .filter((p) => p.trainable)
      .map((p) => p.name);
  return {
    trainable,
    groups: [{ name: 'all', params: trainable, lr: lr ?? 1e-3 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    seed: 3,
    ...overrides,
  };
}

/** The exact bytes of a tensor, so equal means bit-identical (NaN and -0 included). */
function bits(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const MLP: ModelSpecInput = {
  inputShape: [64],
  layers: [
    { type: 'dense', name: 'enc1', units: 64, activation: 'relu' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
};

const BN_MLP: ModelSpecInput = {
  inputShape: [64],
  layers: [
    { type: 'dense', name: 'enc1', units: 32 },
    { type: 'batchNorm', name: 'bn1', momentum: 0.9 },
    { type: 'activation', name: 'act1', activation: 'relu' },
    { type: 'dropout', name: 'drop1', rate: 0.2 },
    { type: 'dense', name: 'enc2', units: 16 },
    { type: 'batchNorm', name: 'bn2', momentum: 0.9 },
    { type: 'activation', name: 'act2', activation: 'relu' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
};

async function trainEpochs(m: Model, opts: TrainerOptions, epochs: number, seed = 11, batchSize = 32): Promise<number[]> {
  const trainer = m.trainer(opts);
  const rng = createRng(seed);
  const epochLoss: number[] = [];
  for (let e = 0; e < epochs; e++) {
    let total = 0;
    for (const batch of batches(train, batchSize, rng)) total += (await trainer.step(batch)).loss * batch.size;
    epochLoss.push(total / train.size);
  }
  trainer.dispose();
  return epochLoss;
}

function firstBatches(count: number, seed = 5): Batch[] {
  return batches(train, 32, createRng(seed)).slice(0, count);
}

describe('tfjs trainer', () => {
  test('an MLP 64→64→10 trained with Adam (lr 2e-3, batch 32, 20 epochs) reaches ≥ 0.93 test accuracy on digits', async () => {
    const m = await model(MLP);
    const started = Date.now();
    const losses = await trainEpochs(m, options(m, { lr: 2e-3 }), 20);
    const acc = accuracy(await m.predict(test_.x, test_.size), test_.labels);
    console.info(
      `digits MLP: test accuracy ${acc.toFixed(4)} after 20 epochs, loss ${losses[0]!.toFixed(3)} → ${losses[19]!.toFixed(3)}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(acc).toBeGreaterThanOrEqual(0.93);
  });

  test('frozen parameters stay bit-identical while trainable ones change', async () => {
    const m = await model({ ...MLP, layers: [{ type: 'dense', name: 'enc0', units: 32, activation: 'relu' }, ...MLP.layers] });
    const before = await m.getWeights();
    const trainer = m.trainer(
      options(m, {
        trainable: ['enc1.kernel', 'head.kernel', 'head.bias'],
        optimizer: { type: 'adamw' },
        groups: [{ name: 'g', params: ['enc1.kernel', 'head.kernel', 'head.bias'], lr: 1e-2, weightDecay: 0.1 }],
      }),
    );
    for (const batch of firstBatches(10)) await trainer.step(batch);
    trainer.dispose();
    const after = await m.getWeights();
    for (const name of ['enc0.kernel', 'enc0.bias', 'enc1.bias'])
      expect(bits(after.get(name)!.data).equals(bits(before.get(name)!.data)), name).toBe(true);
    for (const name of ['enc1.kernel', 'head.kernel', 'head.bias'])
      expect(bits(after.get(name)!.data).equals(bits(before.get(name)!.data)), name).toBe(false);
  });

  test('frozen batch-norm layers keep their moving statistics; unfrozen ones update them', async () => {
    const m = await model(BN_MLP);
    const before = await m.getWeights();
    const stats = ['movingMean', 'movingVariance'];
    const unchanged = async (layer: string): Promise<boolean[]> => {
      const after = await m.getWeights();
      return stats.map((s) => bits(after.get(`${layer}.${s}`)!.data).equals(bits(before.get(`${layer}.${s}`)!.data)));
    };
    // bn1 listed as frozen (its gamma and beta still train); bn2 trains normally.
    const listed = m.trainer(options(m, { frozenBatchNorm: ['bn1'] }));
    for (const batch of firstBatches(3)) await listed.step(batch);
    listed.dispose();
    expect(await unchanged('bn1')).toEqual([true, true]);
    expect(await unchanged('bn2')).toEqual([false, false]);
    // Neither gamma nor beta of bn2 trained: frozen whatever frozenBatchNorm says.
    await m.setWeights(before);
    const partial = m.trainer(options(m, { trainable: ['enc1.kernel', 'bn1.gamma', 'head.kernel'] }));
    for (const batch of firstBatches(3)) await partial.step(batch);
    partial.dispose();
    expect(await unchanged('bn1')).toEqual([false, false]);
    expect(await unchanged('bn2')).toEqual([true, true]);
    const after = await m.getWeights();
    for (const name of ['bn2.gamma', 'bn2.beta', 'enc2.kernel'])
      expect(bits(after.get(name)!.data).equals(bits(before.get(name)!.data)), name).toBe(true);
  });

  test('batch-norm moving statistics follow Keras: m·moving + (1−m)·batch, biased variance', async () => {
    const m = await model({
      inputShape: [3],
      layers: [
        { type: 'batchNorm', name: 'bn', momentum: 0.8 },
        { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
      ],
    });
    const x = Float32Array.of(1, 2, 3, 3, 2, -1, 5, 2, 0, -1, 2, 6);
    const trainer = m.trainer(options(m, { optimizer: { type: 'sgd' }, lr: 0 }));
    await trainer.step({ x, labels: Int32Array.of(0, 1, 0, 1), size: 4 });
    trainer.dispose();
    const weights = await m.getWeights();
    for (let c = 0; c < 3; c++) {
      const column = [0, 1, 2, 3].map((n) => x[n * 3 + c]!);
      const mean = column.reduce((s, v) => s + v, 0) / 4;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / 4;
      expect(weights.get('bn.movingMean')!.data[c]).toBeCloseTo(0.2 * mean, 6);
      expect(weights.get('bn.movingVariance')!.data[c]).toBeCloseTo(0.8 + 0.2 * variance, 6);
    }
  });

  test('getState/setState lets a second trainer continue bit-identically (dropout and batch norm included)', async () => {
    const a = await model(BN_MLP, 4);
    const trainerA = a.trainer(options(a));
    const [warmup, rest] = [firstBatches(5, 8), firstBatches(6, 9)];
    for (const batch of warmup) await trainerA.step(batch);
    const b = await model(BN_MLP, 99, await a.getWeights());
    const trainerB = b.trainer(options(b));
    await trainerB.setState(await trainerA.getState());
    for (const [i, batch] of rest.entries()) {
      const [ra, rb] = [await trainerA.step(batch, { lrScale: 0.5 + i / 10 }), await trainerB.step(batch, { lrScale: 0.5 + i / 10 })];
      expect(rb).toEqual(ra);
    }
    const [wa, wb] = [await a.getWeights(), await b.getWeights()];
    for (const [name, tensor] of wa) expect(bits(wb.get(name)!.data).equals(bits(tensor.data)), name).toBe(true);
    trainerA.dispose();
    trainerB.dispose();
  });

  test('dropout masks are seeded: the same seed trains identically, another seed differently', async () => {
    const run = async (seed: number): Promise<Float32Array> => {
      const m = await model(BN_MLP, 4);
      await trainEpochs(m, options(m, { seed }), 1);
      return (await m.getWeights()).get('enc1.kernel')!.data;
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(bits(b).equals(bits(a))).toBe(true);
    expect(bits(c).equals(bits(a))).toBe(false);
  });

  test('no tensor leaks over 200 steps (with evaluate and predict in between)', async () => {
    const m = await model(BN_MLP);
    const trainer = m.trainer(options(m, { l2sp: { weight: 0.01, reference: await m.getWeights() } }));
    const all = batches(train, 16, createRng(1));
    await trainer.step(all[0]!);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      await trainer.step(all[i % all.length]!);
      if (i % 50 === 0) {
        await trainer.evaluate(all[0]!);
        await m.predict(all[0]!.x, all[0]!.size);
        await trainer.getState();
      }
    }
    expect(tf.memory().numTensors).toBe(baseline);
    trainer.dispose();
    m.dispose();
    live.splice(live.indexOf(m), 1);
    await expect(trainer.step(all[0]!)).rejects.toThrow();
  });

  test('a small CNN (conv → maxPool → flatten → dense) on [8, 8, 1] digits trains and its loss falls', async () => {
    const m = await model({
      inputShape: [8, 8, 1],
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'maxPool2d', name: 'pool1', poolSize: 2 },
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
      ],
    });
    const losses = await trainEpochs(m, options(m, { lr: 3e-3 }), 3);
    const acc = accuracy(await m.predict(test_.x, test_.size), test_.labels);
    console.info(`digits CNN: test accuracy ${acc.toFixed(4)} after 3 epochs, loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    expect(losses[2]!).toBeLessThan(losses[0]! * 0.6);
    expect(acc).toBeGreaterThan(0.85);
  });

  test('evaluate gives summed loss and probabilities in inference mode without changing anything', async () => {
    const m = await model(BN_MLP);
    const trainer = m.trainer(options(m));
    const batch = firstBatches(1)[0]!;
    const before = await m.getWeights();
    const { lossSum, outputs } = await trainer.evaluate(batch);
    expect(await m.getWeights()).toEqual(before);
    expect(outputs).toEqual(await m.predict(batch.x, batch.size));
    const crossEntropy = Array.from(batch.labels!).reduce((s, label, n) => s - Math.log(outputs[n * 10 + label]!), 0);
    expect(lossSum).toBeCloseTo(crossEntropy, 3);
    trainer.dispose();
  });

  test('step reports the mean loss with the L2-SP term and the number of correct predictions', async () => {
    const m = await model(MLP);
    const batch = firstBatches(1)[0]!;
    const outputs = await m.predict(batch.x, batch.size);
    const data = Array.from(batch.labels!).reduce((s, label, n) => s - Math.log(outputs[n * 10 + label]!), 0) / batch.size;
    const correct = Math.round(accuracy(outputs, batch.labels!) * batch.size);
    const reference = await m.getWeights();
    const shifted = new Map([...reference].map(([name, t]) => [name, { shape: t.shape, data: t.data.map((v) => v + 0.1) }]));
    const trainer = m.trainer(options(m, { optimizer: { type: 'sgd' }, lr: 0, l2sp: { weight: 2, reference: shifted } }));
    const result = await trainer.step(batch);
    const count = m.parameters().reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(result.correct).toBe(correct);
    // float32 sums of ~5,000 squared differences: relative, not absolute, agreement.
    const want = data + (2 / 2) * count * 0.01;
    expect(Math.abs(result.loss - want) / want).toBeLessThan(1e-4);
    trainer.dispose();
  });

  test('L2-SP pulls trained weights towards the reference: Δw = −lr·weight·(w − w₀) on top of the data gradient', async () => {
    const m = await model(MLP);
    const start = await m.getWeights();
    const reference = new Map([...start].map(([name, t]) => [name, { shape: t.shape, data: t.data.map((v) => v - 0.5) }]));
    const batch = firstBatches(1)[0]!;
    const after = async (l2sp?: TrainerOptions['l2sp']): Promise<NamedTensors> => {
      await m.setWeights(start);
      const trainer = m.trainer(options(m, { optimizer: { type: 'sgd' }, lr: 0.1, ...(l2sp ? { l2sp } : {}) }));
      await trainer.step(batch);
      trainer.dispose();
      return m.getWeights();
    };
    const [plain, pulled] = [await after(), await after({ weight: 0.3, reference })];
    for (const [name, t] of plain) t.data.forEach((v, i) => expect(pulled.get(name)!.data[i]! - v).toBeCloseTo(-0.1 * 0.3 * 0.5, 6));
  });

  test('bad batches and options are refused naming what is wrong', async () => {
    const m = await model(BN_MLP);
    const trainer = m.trainer(options(m));
    await expect(trainer.step({ x: new Float32Array(64), size: 1 })).rejects.toThrow(
      'softmaxCrossEntropy needs 1 labels in the batch, got none',
    );
    await expect(trainer.step({ x: new Float32Array(64), labels: Int32Array.of(10), size: 1 })).rejects.toThrow(
      'label 10 of sample 0 is not a class index in 0..9',
    );
    await expect(trainer.step({ x: new Float32Array(60), labels: Int32Array.of(1), size: 1 })).rejects.toThrow(
      'expected 1 samples of 64 features',
    );
    trainer.dispose();
    expect(() => m.trainer(options(m, { frozenBatchNorm: ['enc1'] }))).toThrow(
      'frozenBatchNorm: "enc1" is not a batch-norm layer of this model (it has bn1, bn2)',
    );
    expect(() => m.trainer(options(m, { trainable: ['bn1.movingMean'] }))).toThrow('trainable: "bn1.movingMean" is a batch-norm statistic');
  });
});
