import { meanLoss, referenceForward, toWeights64 } from '@headstart/conformance/reference';
import {
  createRng,
  parameterShapes,
  sizeOf,
  validateSpec,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type TrainerOptions,
} from '@headstart/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { loadDigits } from '../__fixtures__/digits.js';
import { expectClose, randomValues } from '../__fixtures__/gradient-check.js';
import { requireRuntime } from './runtime.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { opaqueMlp } from '../__fixtures__/opaque-mlp.js';
import { writeFileSync } from 'node:fs';

const backend = createOnnxBackend({ threads: 1 });
const digits = loadDigits();
const dir = mkdtempSync(join(tmpdir(), 'headstart-onnx-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small ResNet on digits as 8×8 images: a stem, one basic block (conv-bn-relu-conv-bn, added to the stem), a head. */
const residual: ModelSpec = validateSpec({
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 8, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm', name: 'bn0', momentum: 0.9 },
    { type: 'activation', name: 'relu0', activation: 'relu' },
    { type: 'conv2d', name: 'c1', filters: 8, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm', name: 'bn1', momentum: 0.9 },
    { type: 'activation', name: 'relu1', activation: 'relu' },
    { type: 'conv2d', name: 'c2', filters: 8, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm', name: 'bn2', momentum: 0.9 },
    { type: 'add', name: 'res', inputs: ['bn2', 'relu0'] },
    { type: 'activation', name: 'relu2', activation: 'relu' },
    { type: 'maxPool2d', name: 'pool' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
});

/** A stem and a MobileNetV2 inverted residual block (1×1 expand, depthwise 3×3 relu6, 1×1 project, add). */
const mobile: ModelSpec = validateSpec({
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 8, kernelSize: 3, padding: 1, activation: 'relu6' },
    { type: 'conv2d', name: 'expand', filters: 24, kernelSize: 1, useBias: false },
    { type: 'batchNorm', name: 'bn1', momentum: 0.9 },
    { type: 'activation', name: 'act1', activation: 'relu6' },
    { type: 'conv2d', name: 'dw', filters: 24, kernelSize: 3, padding: 1, groups: 24, useBias: false },
    { type: 'batchNorm', name: 'bn2', momentum: 0.9 },
    { type: 'activation', name: 'act2', activation: 'relu6' },
    { type: 'conv2d', name: 'project', filters: 8, kernelSize: 1, useBias: false },
    { type: 'batchNorm', name: 'bn3', momentum: 0.9 },
    { type: 'add', name: 'res', inputs: ['bn3', 'stem'] },
    { type: 'maxPool2d', name: 'pool' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
});

/** Two branches (1×1 and 3×3) of the input joined along channels, as in an Inception block. */
const inception: ModelSpec = validateSpec({
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'b1', filters: 4, kernelSize: 1, activation: 'relu', inputs: ['input'] },
    { type: 'conv2d', name: 'b3', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputs: ['input'] },
    { type: 'concat', name: 'cat', inputs: ['b1', 'b3'] },
    { type: 'maxPool2d', name: 'pool' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
});

/** Random weights in [-1, 1) (moving variances in [0.5, 1.5)), seeded. */
function randomWeights(spec: ModelSpec, seed: number): NamedTensors {
  const rng = createRng(seed);
  return new Map(
    parameterShapes(spec).map((p) => {
      const values = Float32Array.from(randomValues(sizeOf(p.shape), rng));
      return [p.name, { shape: [...p.shape], data: p.name.endsWith('movingVariance') ? values.map((v) => 1 + v / 2) : values }];
    }),
  );
}

function allTrainable(model: Model, options: Partial<TrainerOptions> = {}): TrainerOptions {
  const names = model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  return {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.01 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    ...options,
  };
}

async function accuracy(model: Model): Promise<number> {
  const probs = await model.predict(digits.x, digits.size);
  let right = 0;
  for (let s = 0; s < digits.size; s++) {
    const row = probs.subarray(s * 10, s * 10 + 10);
    if (row.indexOf(Math.max(...row)) === digits.labels[s]) right++;
  }
  return right / digits.size;
}

/** `epochs` passes over digits in batches of 32 through stepMany. */
async function train(model: Model, options: TrainerOptions, epochs: number): Promise<void> {
  const trainer = model.trainer(options);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const batches = [];
    for (let start = 0; start + 32 <= digits.size; start += 32)
      batches.push({ x: digits.x.subarray(start * 64, (start + 32) * 64), labels: digits.labels.subarray(start, start + 32), size: 32 });
    await trainer.stepMany!(
      batches,
      batches.map(() => 1),
    );
  }
  trainer.dispose();
}

describe('graph models on onnx', () => {
  it.each([
    ['residual', residual],
    ['mobile', mobile],
    ['inception', inception],
  ])('%s: predict equals the float64 reference within 1e-5', async (_, spec) => {
    const weights = randomWeights(spec, 3);
    const model = await backend.createModel(spec, weights);
    const x = digits.x.subarray(0, 16 * 64);
    const got = await model.predict(x, 16);
    const expected = referenceForward(spec, toWeights64(weights), x, 16, { training: false }).output;
    expectClose(got, expected, 'predictions', 1e-5, 0);
    model.dispose();
  });

  it.each([
    ['residual', residual, 0.9],
    ['mobile', mobile, 0.9],
    ['inception', inception, 0.8],
  ])('%s: training on digits raises accuracy from chance', async (_, spec, reached) => {
    const model = await backend.createModel(spec, undefined, { seed: 1 });
    expect(await accuracy(model)).toBeLessThan(0.3);
    await train(model, allTrainable(model, { optimizer: { type: 'adam' } }), 3);
    expect(await accuracy(model)).toBeGreaterThan(reached);
    model.dispose();
  });

  it('a frozen batch norm inside the residual block stays bit-identical and in inference mode', async () => {
    const weights = randomWeights(residual, 5);
    const model = await backend.createModel(residual, weights);
    const frozen = ['bn1.gamma', 'bn1.beta', 'bn1.movingMean', 'bn1.movingVariance'];
    const names = model
      .parameters()
      .filter((p) => p.trainable && !frozen.includes(p.name))
      .map((p) => p.name);
    const options: TrainerOptions = {
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'sgd' },
      loss: 'softmaxCrossEntropy',
      frozenBatchNorm: ['bn1'],
    };
    const trainer = model.trainer(options);
    const batch = { x: digits.x.subarray(0, 8 * 64), labels: digits.labels.subarray(0, 8), size: 8 };
    const { loss } = await trainer.step(batch);
    const w64 = toWeights64(weights);
    const lossIn = (frozenBatchNorm: Set<string>): number =>
      meanLoss(
        'softmaxCrossEntropy',
        referenceForward(residual, w64, batch.x, 8, { training: true, frozenBatchNorm, logits: true }).output,
        batch,
      );
    expect(Math.abs(loss - lossIn(new Set(['bn1'])))).toBeLessThan(1e-4);
    expect(Math.abs(loss - lossIn(new Set()))).toBeGreaterThan(1e-3);
    await trainer.stepMany!([batch, batch], [1, 1]);
    const after = await model.getWeights();
    for (const name of frozen) expect(after.get(name)!.data, name).toEqual(weights.get(name)!.data);
    // The other batch norms do train and update their statistics.
    expect(after.get('bn2.movingMean')!.data).not.toEqual(weights.get('bn2.movingMean')!.data);
    expect(after.get('c1.kernel')!.data).not.toEqual(weights.get('c1.kernel')!.data);
    trainer.dispose();
    model.dispose();
  });

  it('keeps parameters and checkpoints in spec.layers order whatever the graph order', async () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'late', units: 3, inputs: ['early'] },
        { type: 'dense', name: 'early', units: 3, inputs: ['input'] },
        { type: 'add', name: 'sum', inputs: ['late', 'early'] },
      ],
    });
    const model = await backend.createModel(spec, undefined, { seed: 2 });
    expect(model.parameters().map((p) => p.name)).toEqual(['late.kernel', 'late.bias', 'early.kernel', 'early.bias']);
    expect([...(await model.getWeights()).keys()]).toEqual(['late.kernel', 'late.bias', 'early.kernel', 'early.bias']);
    model.dispose();
  });

  it.each([
    ['mobile', mobile],
    ['inception', inception],
  ])('%s: the exported ONNX file gives the same outputs in onnxruntime', async (_, spec) => {
    const model = await backend.createModel(spec, randomWeights(spec, 9));
    const file = join(dir, 'graph.onnx');
    await backend.exportModel!(model, 'onnx', file);
    const ort = await requireRuntime();
    const session = await ort.InferenceSession.create(file);
    const x = digits.x.subarray(0, 8 * 64);
    const out = await session.run({ x: new ort.Tensor('float32', x, [8, 8, 8, 1]) });
    expectClose(out.output!.data as Float32Array, await model.predict(x, 8), 'exported outputs', 1e-6, 0);
    await session.release();
    model.dispose();
  });

  it('an opaque ONNX block ahead of a graph: layers take it by name, predict and train on its features', async () => {
    const file = join(dir, 'mlp-sin.onnx');
    writeFileSync(file, encodeModel(opaqueMlp('Sin')));
    const imported = await backend.importModel!(file);
    const spec = validateSpec({
      inputShape: [64],
      layers: [
        imported.spec.layers[0]!,
        { type: 'dense', name: 'a', units: 8, activation: 'relu', inputs: ['base'] },
        { type: 'dense', name: 'b', units: 8, inputs: ['base'] },
        { type: 'add', name: 'sum', inputs: ['a', 'b'] },
        { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
      ],
    });
    const model = await backend.createModel(spec, new Map([['base.graph', imported.weights.get('base.graph')!]]), {
      seed: 3,
      fresh: ['a', 'b', 'head'],
    });
    const before = await accuracy(model);
    const names = ['a.kernel', 'a.bias', 'b.kernel', 'b.bias', 'head.kernel', 'head.bias'];
    await train(
      model,
      { trainable: names, groups: [{ name: 'all', params: names, lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' },
      2,
    );
    expect(await accuracy(model)).toBeGreaterThan(Math.max(0.5, before + 0.3));
    expect((await model.getWeights()).get('base.graph')!.data).toEqual(imported.weights.get('base.graph')!.data);
    model.dispose();
  });
});
