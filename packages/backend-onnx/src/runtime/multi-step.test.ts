import {
  createRng,
  parameterShapes,
  validateSpec,
  type Batch,
  type ModelSpecInput,
  type NamedTensors,
  type StepResult,
  type TrainerOptions,
} from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { buildMultiStepGraph } from '../compiler/multi-step-graph.js';
import { planTraining } from '@headstart/core/backend-kit';
import { buildTrainGraph } from '../compiler/train-graph.js';

const backend = createOnnxBackend();

const cnn: ModelSpecInput = {
  inputShape: [6, 6, 2],
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'batchNorm', name: 'bn', momentum: 0.8 },
    { type: 'maxPool2d', name: 'pool', poolSize: 2 },
    { type: 'flatten', name: 'flat' },
    { type: 'dropout', name: 'drop', rate: 0.25 },
    { type: 'dense', name: 'hidden', units: 8, activation: 'tanh' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

const autoencoder: ModelSpecInput = {
  inputShape: [5],
  layers: [
    { type: 'dense', name: 'enc', units: 3, activation: 'relu' },
    { type: 'dense', name: 'dec', units: 5 },
  ],
};

function batches(spec: ModelSpecInput, sizes: number[], mse = false): Batch[] {
  const rng = createRng(7);
  const width = spec.inputShape!.reduce((a, b) => a * b, 1);
  return sizes.map((size) => {
    const x = Float32Array.from({ length: size * width }, () => rng.normal());
    return mse ? { x, size, targets: x.slice() } : { x, size, labels: Int32Array.from({ length: size }, () => Math.floor(rng.next() * 3)) };
  });
}

/** Bitwise equality of every tensor (Object.is tells -0 from 0 and matches NaN). */
function expectSameTensors(a: NamedTensors, b: NamedTensors, what: string): void {
  expect([...a.keys()].sort(), what).toEqual([...b.keys()].sort());
  for (const [name, t] of a) {
    const other = b.get(name)!.data;
    const differs = t.data.findIndex((v, i) => !Object.is(v, other[i]));
    expect(differs, `${what}: ${name}[${differs}] ${t.data[differs]} vs ${other[differs]}`).toBe(-1);
  }
}

interface Case {
  name: string;
  spec: ModelSpecInput;
  options: (names: string[], shapes: ReturnType<typeof parameterShapes>) => TrainerOptions;
  sizes: number[];
  mse?: boolean | undefined;
}

const all = (names: string[], lr = 0.05): TrainerOptions['groups'] => [{ name: 'all', params: names, lr }];

const cases: Case[] = [
  {
    name: 'CNN, Adam in two groups with L2 decay, trained batch-norm statistics, dropout, a short last batch',
    spec: cnn,
    sizes: [8, 8, 8, 8, 8, 5],
    options: (names) => ({
      trainable: names,
      groups: [
        { name: 'base', params: names.filter((n) => !n.startsWith('head.')), lr: 0.01, weightDecay: 0.01 },
        { name: 'head', params: names.filter((n) => n.startsWith('head.')), lr: 0.05 },
      ],
      optimizer: { type: 'adam', beta1: 0.8, beta2: 0.99 },
      loss: 'softmaxCrossEntropy',
      seed: 3,
    }),
  },
  {
    name: 'CNN with a frozen base (only the head trains), AdamW, L2-SP',
    spec: cnn,
    sizes: [4, 4, 4, 4, 4, 4, 4],
    options: (names, shapes) => {
      const head = names.filter((n) => n.startsWith('head.') || n.startsWith('hidden.'));
      const reference = new Map(
        shapes
          .filter((p) => head.includes(p.name))
          .map((p) => [p.name, { shape: [...p.shape], data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(0.05) }]),
      );
      return {
        trainable: head,
        groups: [{ name: 'head', params: head, lr: 0.05, weightDecay: 0.1 }],
        optimizer: { type: 'adamw' },
        loss: 'softmaxCrossEntropy',
        frozenBatchNorm: ['bn'],
        l2sp: { weight: 0.1, reference },
      };
    },
  },
  {
    name: 'CNN, SGD with Nesterov momentum and weight decay',
    spec: cnn,
    sizes: [6, 6, 6, 6],
    options: (names) => ({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.1, weightDecay: 0.001 }],
      optimizer: { type: 'sgd', momentum: 0.9, nesterov: true },
      loss: 'softmaxCrossEntropy',
      seed: 1,
    }),
  },
  {
    name: 'autoencoder, mse, plain SGD',
    spec: autoencoder,
    sizes: [5, 5, 5, 2, 2, 2],
    mse: true,
    options: (names) => ({ trainable: names, groups: all(names, 0.1), optimizer: { type: 'sgd' }, loss: 'mse' }),
  },
];

/** Train a fresh model with `step` on each batch, another with `stepMany` over all; everything must match bitwise. */
async function compare(c: Case): Promise<void> {
  const spec = validateSpec(c.spec);
  const shapes = parameterShapes(spec);
  const names = shapes.filter((p) => p.role !== 'statistic').map((p) => p.name);
  const options = c.options(names, shapes);
  const data = batches(c.spec, c.sizes, c.mse);
  // A schedule that changes every step.
  const scales = data.map((_, i) => 1 - i / (2 * data.length));
  const [one, many] = [await backend.createModel(spec, undefined, { seed: 5 }), await backend.createModel(spec, undefined, { seed: 5 })];
  const [single, multi] = [one.trainer(options), many.trainer(options)];
  const expected: StepResult[] = [];
  for (let round = 0; round < 2; round++)
    for (const [i, batch] of data.entries()) expected.push(await single.step(batch, { lrScale: scales[i]! }));
  const got = [...(await multi.stepMany!(data, scales)), ...(await multi.stepMany!(data, scales))];
  expect(got).toEqual(expected);
  got.forEach((r, i) => expect(Object.is(r.loss, expected[i]!.loss), `loss of step ${i}`).toBe(true));
  expectSameTensors(await many.getWeights(), await one.getWeights(), 'weights');
  expectSameTensors(await multi.getState(), await single.getState(), 'optimizer state');
  // Single steps after several continue from the same state.
  expect(await multi.step(data[0]!, { lrScale: 0.5 })).toEqual(await single.step(data[0]!, { lrScale: 0.5 }));
  expectSameTensors(await many.getWeights(), await one.getWeights(), 'weights after a further single step');
  one.dispose();
  many.dispose();
}

describe('stepMany', () => {
  for (const c of cases) it(`is bit-identical to step after step: ${c.name}`, async () => compare(c));

  it('resumes from getState/setState mid-run bit-identically', async () => {
    const spec = validateSpec(cnn);
    const names = parameterShapes(spec)
      .filter((p) => p.role !== 'statistic')
      .map((p) => p.name);
    const options: TrainerOptions = {
      trainable: names,
      groups: all(names, 0.01),
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
      seed: 9,
    };
    const data = batches(cnn, [8, 8, 8, 8]);
    const scales = data.map(() => 1);
    const first = await backend.createModel(spec, undefined, { seed: 2 });
    const trainer = first.trainer(options);
    await trainer.stepMany!(data, scales);
    const [weights, state] = [await first.getWeights(), await trainer.getState()];
    const expected = await trainer.stepMany!(data, scales);
    const second = await backend.createModel(spec, weights);
    const resumed = second.trainer(options);
    await resumed.setState(state);
    expect(await resumed.stepMany!(data, scales)).toEqual(expected);
    expectSameTensors(await second.getWeights(), await first.getWeights(), 'weights');
    first.dispose();
    second.dispose();
  });

  it('picks up weights set between runs, as a single step does', async () => {
    const spec = validateSpec(autoencoder);
    const names = parameterShapes(spec).map((p) => p.name);
    const options: TrainerOptions = { trainable: names, groups: all(names), optimizer: { type: 'adam' }, loss: 'mse' };
    const data = batches(autoencoder, [4, 4, 4], true);
    const [a, b] = [await backend.createModel(spec, undefined, { seed: 1 }), await backend.createModel(spec, undefined, { seed: 1 })];
    const [ta, tb] = [a.trainer(options), b.trainer(options)];
    await ta.stepMany!(data, [1, 1, 1]);
    for (const batch of data) await tb.step(batch);
    const reset = await (await backend.createModel(spec, undefined, { seed: 8 })).getWeights();
    await a.setWeights(reset);
    await b.setWeights(reset);
    await ta.stepMany!(data, [1, 1, 1]);
    for (const batch of data) await tb.step(batch);
    expectSameTensors(await a.getWeights(), await b.getWeights(), 'weights');
    a.dispose();
    b.dispose();
  });

  it('steps with nothing trainable: losses as single steps give, every weight unchanged', async () => {
    const spec = validateSpec(cnn);
    const model = await backend.createModel(spec, undefined, { seed: 1 });
    const before = await model.getWeights();
    const options: TrainerOptions = {
      trainable: [],
      groups: [],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
      frozenBatchNorm: ['bn'],
    };
    const data = batches(cnn, [4, 4, 4]);
    const many = await model.trainer(options).stepMany!(data, [1, 1, 1]);
    // A fresh trainer: dropout masks follow the step count.
    const trainer = model.trainer(options);
    const single: StepResult[] = [];
    for (const batch of data) single.push(await trainer.step(batch));
    expect(many.map((r) => r.loss)).toEqual(single.map((r) => r.loss));
    expectSameTensors(await model.getWeights(), before, 'weights');
    model.dispose();
  });

  it('refuses mismatched arguments and bad inputs', async () => {
    const model = await backend.createModel(validateSpec(autoencoder));
    const names = parameterShapes(validateSpec(autoencoder)).map((p) => p.name);
    const trainer = model.trainer({ trainable: names, groups: all(names), optimizer: { type: 'sgd' }, loss: 'mse' });
    const data = batches(autoencoder, [3, 3], true);
    await expect(trainer.stepMany!(data, [1])).rejects.toThrow(/2 batches but 1 lrScales/);
    await expect(trainer.stepMany!(data, [1, -1])).rejects.toThrow(/lrScale must be ≥ 0/);
    await expect(trainer.stepMany!([data[0]!, { ...data[1]!, targets: new Float32Array(2) }], [1, 1])).rejects.toThrow(
      /mse needs 3×5 targets/,
    );
    model.dispose();
  });

  it("takes Adam's step-only arithmetic out of the loop body", () => {
    const spec = validateSpec(autoencoder);
    const params = parameterShapes(spec);
    const options: TrainerOptions = {
      trainable: params.map((p) => p.name),
      groups: all(params.map((p) => p.name)),
      optimizer: { type: 'adam' },
      loss: 'mse',
    };
    const train = buildTrainGraph({
      spec,
      params,
      plan: planTraining(spec, options, params),
      optimizer: options.optimizer,
      loss: options.loss,
    });
    const multi = buildMultiStepGraph(train);
    const scan = multi.model.graph!.node!.find((n) => n.opType === 'Scan')!;
    const body = scan.attribute!.find((a) => a.name === 'body')!.g!;
    expect(train.model.graph!.node!.some((n) => n.opType === 'Pow')).toBe(true);
    expect(body.node!.some((n) => n.opType === 'Pow')).toBe(false);
    expect(multi.model.graph!.node!.filter((n) => n.opType === 'Pow')).toHaveLength(2);
  });
});
