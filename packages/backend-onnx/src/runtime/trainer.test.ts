import { createRng, parameterShapes, validateSpec, type ModelSpecInput, type OptimizerConfig, type TrainerOptions } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import {
  applyUpdate,
  meanLoss,
  referenceForward,
  slotNames,
  toWeights64,
  type OptimizedValue,
  type Weights64,
} from '@headstart/conformance/reference';
import { centralDifferences, expectClose, randomValues } from '../__fixtures__/gradient-check.js';

const backend = createOnnxBackend();
const mlp: ModelSpecInput = {
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'h', units: 5, activation: 'tanh' },
    { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
  ],
};
const N = 6;

function fixedBatch(seed = 3): { x: Float32Array; labels: Int32Array; size: number } {
  const rng = createRng(seed);
  const x = Float32Array.from(randomValues(N * 4, rng));
  const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
  return { x, labels, size: N };
}

interface Case {
  name: string;
  optimizer: OptimizerConfig;
  /** Weight decay of the hidden layer's group and the output layer's group. */
  decay?: [number, number] | undefined;
  lrs?: [number, number] | undefined;
  lrScale?: number | undefined;
  l2sp?: number | undefined;
}

/**
 * Train `steps` steps on one batch with the backend and with the float64 reference (finite-difference
 * gradients, PyTorch's optimizer arithmetic); losses and weights must agree within 1e-4.
 */
async function compareWithReference(c: Case, steps = 5): Promise<void> {
  const spec = validateSpec(mlp);
  const model = await backend.createModel(spec, undefined, { seed: 11 });
  const initial = await model.getWeights();
  const names = model.parameters().map((p) => p.name);
  const [hidden, out] = [names.filter((n) => n.startsWith('h.')), names.filter((n) => n.startsWith('out.'))];
  const [lrH, lrO] = c.lrs ?? [0.05, 0.05];
  const [wdH, wdO] = c.decay ?? [0, 0];
  const scale = c.lrScale ?? 1;
  const reference = new Map([...initial].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((v) => v + 0.1) }]));
  const options: TrainerOptions = {
    trainable: names,
    groups: [
      { name: 'hidden', params: hidden, lr: lrH, weightDecay: wdH },
      { name: 'out', params: out, lr: lrO, weightDecay: wdO },
    ],
    optimizer: c.optimizer,
    loss: 'softmaxCrossEntropy',
    ...(c.l2sp ? { l2sp: { weight: c.l2sp, reference } } : {}),
  };
  const trainer = model.trainer(options);
  const batch = fixedBatch();
  const ref = toWeights64(initial);
  const slots = (n: string): Map<string, Float64Array> =>
    new Map(slotNames(c.optimizer).map((slot) => [slot, new Float64Array(ref.get(n)!.length)]));
  const params = new Map<string, Omit<OptimizedValue, 'gradient'>>(
    names.map((n) => [
      n,
      { value: ref.get(n)!, lr: (n.startsWith('h.') ? lrH : lrO) * scale, weightDecay: n.startsWith('h.') ? wdH : wdO, slots: slots(n) },
    ]),
  );
  const objective = (w: Weights64): number => {
    let loss = meanLoss('softmaxCrossEntropy', referenceForward(spec, w, batch.x, N, { training: true, logits: true }).output, batch);
    if (c.l2sp) for (const [k, t] of reference) loss += (c.l2sp / 2) * w.get(k)!.reduce((a, v, i) => a + (v - t.data[i]!) ** 2, 0);
    return loss;
  };
  for (let t = 1; t <= steps; t++) {
    const result = await trainer.step({ x: batch.x, labels: batch.labels, size: N }, { lrScale: scale });
    expect(result.loss).toBeCloseTo(objective(ref), 4);
    const grads = new Map(names.map((n) => [n, centralDifferences(ref.get(n)!, (v) => objective(new Map([...ref, [n, v]])))]));
    for (const n of names) applyUpdate(c.optimizer, { ...params.get(n)!, gradient: grads.get(n)! }, t);
  }
  const got = await model.getWeights();
  for (const n of names) expectClose(got.get(n)!.data, ref.get(n)!, `${c.name}: ${n} after ${steps} steps`, 1e-4, 0);
  model.dispose();
}

describe('train step against a float64 reference', () => {
  const cases: Case[] = [
    { name: 'adam', optimizer: { type: 'adam' } },
    {
      name: 'adam with L2 weight decay and two groups',
      optimizer: { type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
      decay: [0.1, 0],
      lrs: [0.02, 0.05],
      lrScale: 0.5,
    },
    { name: 'adamw decoupled weight decay', optimizer: { type: 'adamw' }, decay: [0.5, 0.1] },
    { name: 'sgd', optimizer: { type: 'sgd' }, lrs: [0.5, 0.3] },
    { name: 'sgd momentum with weight decay', optimizer: { type: 'sgd', momentum: 0.9 }, decay: [0.01, 0.02], lrs: [0.1, 0.2] },
    { name: 'sgd nesterov', optimizer: { type: 'sgd', momentum: 0.8, nesterov: true }, lrs: [0.1, 0.2] },
    { name: 'adam with L2-SP', optimizer: { type: 'adam' }, l2sp: 0.3 },
  ];
  for (const c of cases) it(c.name, async () => compareWithReference(c));
});

describe('trainer contract', () => {
  it('leaves frozen parameters and frozen batch-norm statistics bit-identical', async () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'base', units: 6, activation: 'relu' },
        { type: 'batchNorm', name: 'bn' },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    });
    const model = await backend.createModel(spec, undefined, { seed: 2 });
    const before = await model.getWeights();
    const trainer = model.trainer({
      trainable: ['head.kernel', 'head.bias'],
      groups: [{ name: 'head', params: ['head.kernel', 'head.bias'], lr: 0.01 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    const batch = fixedBatch();
    for (let i = 0; i < 5; i++) await trainer.step({ x: batch.x, labels: batch.labels, size: N });
    const after = await model.getWeights();
    for (const name of ['base.kernel', 'base.bias', 'bn.gamma', 'bn.beta', 'bn.movingMean', 'bn.movingVariance']) {
      expect(Buffer.from(after.get(name)!.data.buffer).equals(Buffer.from(before.get(name)!.data.buffer)), name).toBe(true);
    }
    expect(after.get('head.kernel')!.data).not.toEqual(before.get('head.kernel')!.data);
    model.dispose();
  });

  it('steps with nothing trainable (loss only, every weight unchanged)', async () => {
    const model = await backend.createModel(validateSpec(mlp), undefined, { seed: 1 });
    const before = await model.getWeights();
    const trainer = model.trainer({ trainable: [], groups: [], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' });
    const batch = fixedBatch();
    const result = await trainer.step({ x: batch.x, labels: batch.labels, size: N });
    expect(result.loss).toBeGreaterThan(0);
    expect(await model.getWeights()).toEqual(before);
    expect([...(await trainer.getState()).keys()]).toEqual(['optim.step']);
    model.dispose();
  });

  it('updates batch-norm moving statistics the Keras way when the layer trains', async () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'batchNorm', name: 'bn', momentum: 0.9 },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    });
    const model = await backend.createModel(spec, undefined, { seed: 2 });
    const names = model
      .parameters()
      .filter((p) => p.trainable)
      .map((p) => p.name);
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'sgd' },
      loss: 'softmaxCrossEntropy',
    });
    const batch = fixedBatch();
    await trainer.step({ x: batch.x, labels: batch.labels, size: N });
    const stats = referenceForward(spec, toWeights64(await model.getWeights()), batch.x, N, { training: true }).batchStatistics.get('bn')!;
    const w = await model.getWeights();
    expectClose(
      w.get('bn.movingMean')!.data,
      stats.mean.map((m) => 0.1 * m),
      'moving mean',
    );
    expectClose(
      w.get('bn.movingVariance')!.data,
      stats.variance.map((v) => 0.9 + 0.1 * v),
      'moving variance',
    );
    model.dispose();
  });

  it('continues bit-identically from getState/setState and saved weights', async () => {
    const spec = validateSpec({ ...mlp, layers: [mlp.layers[0]!, { type: 'dropout', name: 'drop', rate: 0.3 }, mlp.layers[1]!] });
    const names = parameterShapes(spec).map((p) => p.name);
    const options: TrainerOptions = {
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
      seed: 5,
    };
    const batch = { ...fixedBatch(), size: N };
    const first = await backend.createModel(spec, undefined, { seed: 4 });
    const trainer = first.trainer(options);
    for (let i = 0; i < 3; i++) await trainer.step(batch);
    const [weights, state] = [await first.getWeights(), await trainer.getState()];
    expect(state.get('optim.step')!.data[0]).toBe(3);
    expect([...state.keys()]).toContain('optim.m.h.kernel');
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await trainer.step(batch)).loss);
    const second = await backend.createModel(spec, weights, { seed: 99 });
    const resumed = second.trainer(options);
    await resumed.setState(state);
    for (let i = 0; i < 3; i++) expect((await resumed.step(batch)).loss).toBe(losses[i]);
    const [a, b] = [await first.getWeights(), await second.getWeights()];
    for (const n of names) expect(Buffer.from(b.get(n)!.data.buffer).equals(Buffer.from(a.get(n)!.data.buffer)), n).toBe(true);
    first.dispose();
    second.dispose();
  });

  it('continues bit-identically through training-mode batch norm and pointwise/depthwise input gradients', async () => {
    const spec = validateSpec({
      inputShape: [4, 4, 2],
      layers: [
        { type: 'conv2d', name: 'expand', filters: 6, kernelSize: 1, useBias: false },
        { type: 'batchNorm', name: 'bn1' },
        { type: 'conv2d', name: 'dw', filters: 6, kernelSize: 3, groups: 6, padding: 1, useBias: false },
        { type: 'batchNorm', name: 'bn2' },
        { type: 'activation', name: 'act', activation: 'relu6' },
        { type: 'conv2d', name: 'project', filters: 4, kernelSize: 1 },
        { type: 'globalAvgPool2d', name: 'gap' },
        { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
      ],
    });
    const names = parameterShapes(spec)
      .filter((p) => !p.name.includes('moving'))
      .map((p) => p.name);
    const options: TrainerOptions = {
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
      seed: 5,
    };
    const rng = createRng(8);
    const batch = { x: Float32Array.from(randomValues(N * 32, rng)), labels: Int32Array.from({ length: N }, (_, i) => i % 3), size: N };
    const first = await backend.createModel(spec, undefined, { seed: 4 });
    const trainer = first.trainer(options);
    for (let i = 0; i < 2; i++) await trainer.step(batch);
    const [weights, state] = [await first.getWeights(), await trainer.getState()];
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await trainer.step(batch)).loss);
    const second = await backend.createModel(spec, weights, { seed: 99 });
    const resumed = second.trainer(options);
    await resumed.setState(state);
    for (let i = 0; i < 3; i++) expect((await resumed.step(batch)).loss).toBe(losses[i]);
    const [a, b] = [await first.getWeights(), await second.getWeights()];
    for (const n of a.keys()) expect(Buffer.from(b.get(n)!.data.buffer).equals(Buffer.from(a.get(n)!.data.buffer)), n).toBe(true);
    first.dispose();
    second.dispose();
  });

  it("lets two trainers of one model take turns, each starting from the other's weights", async () => {
    const model = await backend.createModel(validateSpec(mlp), undefined, { seed: 6 });
    const names = model.parameters().map((p) => p.name);
    const head = names.filter((n) => n.startsWith('out.'));
    const headOnly = model.trainer({
      trainable: head,
      groups: [{ name: 'head', params: head, lr: 0.1 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    const everything = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.1 }],
      optimizer: { type: 'sgd', momentum: 0.5 },
      loss: 'softmaxCrossEntropy',
    });
    const batch = { ...fixedBatch(), size: N };
    const meanLoss = async (): Promise<number> => (await headOnly.evaluate(batch)).lossSum / N;
    for (const trainer of [headOnly, everything, headOnly, everything]) {
      const expected = await meanLoss();
      expect((await trainer.step(batch)).loss).toBeCloseTo(expected, 5);
    }
    model.dispose();
  });

  it('evaluates summed loss and probabilities in inference mode', async () => {
    const model = await backend.createModel(validateSpec(mlp), undefined, { seed: 1 });
    const names = model.parameters().map((p) => p.name);
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'sgd' },
      loss: 'softmaxCrossEntropy',
    });
    const batch = fixedBatch();
    const result = await trainer.evaluate({ x: batch.x, labels: batch.labels, size: N });
    const probabilities = await model.predict(batch.x, N);
    expect(Array.from(result.outputs)).toEqual(Array.from(probabilities));
    const expected = Array.from(batch.labels).reduce((sum, l, i) => sum - Math.log(probabilities[i * 3 + l]!), 0);
    expect(result.lossSum).toBeCloseTo(expected, 4);
    model.dispose();
  });

  it('refuses bad options with errors naming the culprit', async () => {
    const model = await backend.createModel(validateSpec(mlp));
    const base = {
      groups: [{ name: 'g', params: ['h.kernel'], lr: 0.1 }],
      optimizer: { type: 'adam' as const },
      loss: 'softmaxCrossEntropy' as const,
    };
    expect(() => model.trainer({ ...base, trainable: ['nope'] })).toThrow(/unknown parameter "nope"/);
    expect(() => model.trainer({ ...base, trainable: ['h.bias'] })).toThrow(/"h.bias" is in no group/);
    const regression = await backend.createModel(validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 1 }] }));
    expect(() => regression.trainer({ ...base, groups: [{ name: 'g', params: ['d.kernel'], lr: 0.1 }], trainable: ['d.kernel'] })).toThrow(
      /needs a model ending in a softmax/,
    );
    model.dispose();
    regression.dispose();
  });
});
