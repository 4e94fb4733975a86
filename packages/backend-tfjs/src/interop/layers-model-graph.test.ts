import { createRng, validateSpec, type Model, type ModelSpecInput, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { fileLoadHandler, layersPredict, saveToDirectory } from '../__fixtures__/layers-model-files.js';
import { createTfjsBackend } from '../base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-tfjs-graph-'));
});
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

function values(count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => rng.next() * 2 - 1);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The exact bytes of every tensor, so equal means bit-identical. */
function bits(weights: NamedTensors): Record<string, string> {
  return Object.fromEntries(
    [...weights].map(([name, t]) => [
      name,
      `${t.shape}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')}`,
    ]),
  );
}

/**
 * A Keras functional model as tfjs-layers builds it: ZeroPadding2D before valid convolutions and a
 * max pooling after relu, batch norm, ReLU(max_value=6), DepthwiseConv2D (multiplier 2), a residual
 * Add, a Concatenate branch, global average pooling. Every weight seeded, batch-norm statistics too.
 */
function kerasFunctional(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const padded = tf.layers
    .zeroPadding2d({
      name: 'stem_pad',
      padding: [
        [1, 2],
        [0, 1],
      ],
    })
    .apply(input);
  const stem = tf.layers.conv2d({ name: 'stem', filters: 4, kernelSize: 3, activation: 'linear' }).apply(padded);
  const bn = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(stem);
  const r6 = tf.layers.reLU({ name: 'stem_relu6', maxValue: 6 }).apply(bn) as tf.SymbolicTensor;
  const dwPad = tf.layers.zeroPadding2d({ name: 'dw_pad', padding: 1 }).apply(r6);
  const dw = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, activation: 'relu6' }).apply(dwPad);
  const project = tf.layers.conv2d({ name: 'project', filters: 4, kernelSize: 1 }).apply(dw) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'residual' }).apply([r6, project]);
  const relu = tf.layers.activation({ name: 'after_add', activation: 'relu' }).apply(sum);
  const poolPad = tf.layers.zeroPadding2d({ name: 'pool_pad', padding: 1 }).apply(relu);
  const pool = tf.layers.maxPooling2d({ name: 'pool', poolSize: 3, strides: 2 }).apply(poolPad) as tf.SymbolicTensor;
  const side = tf.layers.conv2d({ name: 'side', filters: 3, kernelSize: 1, activation: 'tanh' }).apply(pool) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([pool, side]);
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(joined);
  const head = tf.layers.dense({ name: 'head', units: 3, activation: 'softmax' }).apply(gap) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: head });
  const rng = createRng(4);
  for (const layer of model.layers) {
    const weights = layer.getWeights().map((w, i) => {
      const variance = layer.getClassName() === 'BatchNormalization' && i === 3;
      return tf.tensor(
        Float32Array.from({ length: w.size }, () => (variance ? 0.5 + rng.next() : rng.next() - 0.5)),
        w.shape,
      );
    });
    layer.setWeights(weights);
    tf.dispose(weights);
  }
  return model;
}

/** A graph spec with what the tfjs export must express exactly. */
const GRAPH: ModelSpecInput = {
  inputShape: [7, 6, 2],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 4, kernelSize: 3, padding: [1, 0, 2, 1], activation: 'relu' },
    { type: 'maxPool2d', name: 'pool', poolSize: 3, strides: 2, padding: 1 },
    { type: 'conv2d', name: 'expand', filters: 8, kernelSize: 1, activation: 'relu6' },
    { type: 'conv2d', name: 'dw', filters: 16, kernelSize: [3, 1], padding: [1, 0], groups: 8, activation: 'relu6' },
    { type: 'batchNorm', name: 'bn' },
    { type: 'conv2d', name: 'project', filters: 4, kernelSize: [1, 2], padding: [0, 0, 0, 1], activation: 'leakyRelu' },
    { type: 'add', name: 'sum', inputs: ['pool', 'project'] },
    { type: 'avgPool2d', name: 'avg', poolSize: 2, strides: 1, padding: [1, 1, 0, 0], countIncludePad: true, inputs: ['sum'] },
    { type: 'avgPool2d', name: 'avgSame', poolSize: 2, strides: 1, padding: 'same', inputs: ['sum'] },
    { type: 'concat', name: 'cat', inputs: ['avg', 'avgSame', 'pool'] },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

async function liveModel(input: ModelSpecInput): Promise<Model> {
  const m = await backend.createModel(validateSpec(input), undefined, { seed: 3 });
  live.push(m);
  const rng = createRng(8);
  const weights: NamedTensors = new Map();
  for (const [name, t] of await m.getWeights()) {
    const positive = name.endsWith('.movingVariance') || name.endsWith('.gamma');
    weights.set(name, { shape: t.shape, data: t.data.map(() => (positive ? 0.5 + rng.next() : rng.next() - 0.5)) });
  }
  await m.setWeights(weights);
  return m;
}

describe('tfjs layers graphs', () => {
  test('a Keras functional model (ZeroPadding2D, DepthwiseConv2D, ReLU(6), Add, Concatenate) imports and predicts as tf.loadLayersModel', async () => {
    const keras = kerasFunctional();
    const file = await saveToDirectory(keras, join(dir, 'keras-functional'));
    keras.dispose();
    const imported = await backend.importModel!(file);
    expect(imported.spec.layers.map((l) => [l.name, l.type, l.inputs])).toEqual([
      ['stem', 'conv2d', undefined],
      ['stem_bn', 'batchNorm', undefined],
      ['stem_relu6', 'activation', undefined],
      ['dw', 'conv2d', undefined],
      ['project', 'conv2d', undefined],
      ['residual', 'add', ['stem_relu6', 'project']],
      ['after_add', 'activation', undefined],
      ['pool', 'maxPool2d', undefined],
      ['side', 'conv2d', undefined],
      ['joined', 'concat', ['pool', 'side']],
      ['gap', 'globalAvgPool2d', undefined],
      ['head', 'dense', undefined],
    ]);
    expect(imported.spec.layers[0]).toMatchObject({ padding: [1, 0, 2, 1] });
    expect(imported.spec.layers[2]).toMatchObject({ activation: 'relu6' });
    expect(imported.spec.layers[3]).toMatchObject({ filters: 8, groups: 4, padding: 1, activation: 'relu6' });
    expect(imported.spec.layers[7]).toMatchObject({ padding: 1 });
    const m = await backend.createModel(imported.spec, imported.weights, { seed: 1 });
    live.push(m);
    const loaded = await tf.loadLayersModel(fileLoadHandler(file));
    const x = values(5 * 8 * 8 * 3, 6);
    expect(maxDiff(await m.predict(x, 5), await layersPredict(loaded, x, [5, 8, 8, 3]))).toBeLessThan(1e-4);
    loaded.dispose();
  });

  test('a graph model exports to a functional model tf.loadLayersModel runs alike, and imports back bit for bit', async () => {
    const m = await liveModel(GRAPH);
    const out = join(dir, 'graph-export');
    await backend.exportModel!(m, 'tfjs', out);
    const loaded = await tf.loadLayersModel(fileLoadHandler(join(out, 'model.json')));
    expect(loaded.layers.map((l) => l.getClassName())).toContain('DepthwiseConv2D');
    const x = values(4 * 7 * 6 * 2, 9);
    expect(maxDiff(await layersPredict(loaded, x, [4, 7, 6, 2]), await m.predict(x, 4))).toBeLessThan(1e-5);
    loaded.dispose();
    const back = await backend.importModel!(out);
    expect(back.spec).toEqual(m.spec);
    expect(bits(back.weights)).toEqual(bits(await m.getWeights()));
    // Without the embedded spec, the Keras topology alone maps back to the same graph, ZeroPadding2D folded.
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { userDefinedMetadata?: unknown };
    delete json.userDefinedMetadata;
    await writeFile(join(out, 'model.json'), JSON.stringify(json));
    const mapped = await backend.importModel!(out);
    const { layers } = validateSpec(GRAPH);
    expect(mapped.spec.layers.filter((l) => !l.name.endsWith('_leakyRelu')).map((l) => ({ ...l, inputs: undefined }))).toEqual(
      layers.map((l) => ({ ...l, inputs: undefined, ...(l.name === 'project' ? { activation: 'linear' } : {}) })),
    );
    const again = await backend.createModel(mapped.spec, mapped.weights, { seed: 1 });
    live.push(again);
    expect(maxDiff(await again.predict(x, 4), await m.predict(x, 4))).toBe(0);
  });

  test.each([
    [
      'a grouped convolution that is not depthwise',
      { type: 'conv2d', name: 'g', filters: 4, kernelSize: 1, groups: 2 },
      'layer "g": a grouped convolution (groups 2) that is not depthwise has no tfjs layers equivalent, so the model cannot be exported as tfjs',
    ],
    [
      'max pooling padded on a value that may be negative',
      { type: 'maxPool2d', name: 'mp', poolSize: 3, strides: 2, padding: 1 },
      'layer "mp": max pooling with pads [1,1,1,1] on an input that may be negative has no exact tfjs layers equivalent (Keras pads with zeros), so the model cannot be exported as tfjs',
    ],
    [
      'average pooling whose pads are not counted',
      { type: 'avgPool2d', name: 'ap', poolSize: 3, strides: 2, padding: 1, countIncludePad: false },
      'layer "ap": average pooling with pads [1,1,1,1] not counted (countIncludePad false) has no exact tfjs layers equivalent unless they are the same padding\'s [0,0,1,1], so the model cannot be exported as tfjs',
    ],
  ] as const)('%s is refused in one line, and nothing is written', async (_, layer, message) => {
    const m = await liveModel({
      inputShape: [6, 6, 4],
      layers: [{ type: 'conv2d', name: 'c', filters: 4, kernelSize: 1 }, layer as never, { type: 'flatten', name: 'f' }],
    });
    const out = join(dir, `refused-${layer.name}`);
    await expect(backend.exportModel!(m, 'tfjs', out)).rejects.toThrow(message);
    await expect(readFile(join(out, 'model.json'))).rejects.toThrow(/ENOENT/);
  });

  test('a ZeroPadding2D feeding anything but a valid convolution or pooling is refused naming both layers', async () => {
    const input = tf.input({ shape: [4, 4, 2], name: 'image' });
    const padded = tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }).apply(input);
    const flat = tf.layers.flatten({ name: 'flat' }).apply(padded) as tf.SymbolicTensor;
    const keras = tf.model({ inputs: input, outputs: flat });
    const file = await saveToDirectory(keras, join(dir, 'bad-padding'));
    keras.dispose();
    await expect(backend.importModel!(file)).rejects.toThrow(
      /bad-padding\/model\.json: layer ZeroPadding2D "pad" feeds Flatten "flat", which is not a convolution or pooling; only those can take its pads$/,
    );
  });
});
