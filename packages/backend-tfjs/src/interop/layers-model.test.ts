import { createRng, validateSpec, type Model, type ModelSpec, type ModelSpecInput, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { fileLoadHandler, layersPredict, saveToDirectory } from '../__fixtures__/layers-model-files.js';
import { referenceForward, toWeights64 } from '@headstart/conformance/reference';
import { createTfjsBackend } from '../base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-tfjs-layers-'));
});
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

/** Every activation (leakyRelu inside a dense layer too), batch norm on flat input, dropout, a trailing softmax layer. */
const MLP: ModelSpecInput = {
  inputShape: [6],
  layers: [
    { type: 'dense', name: 'enc1', units: 8, activation: 'leakyRelu', useBias: false },
    { type: 'batchNorm', name: 'bn1', momentum: 0.9, epsilon: 1e-3 },
    { type: 'dense', name: 'enc2', units: 7, activation: 'gelu' },
    { type: 'dropout', name: 'drop', rate: 0.25 },
    { type: 'dense', name: 'enc3', units: 6, activation: 'sigmoid' },
    { type: 'dense', name: 'enc4', units: 5, activation: 'tanh' },
    { type: 'activation', name: 'act', activation: 'relu' },
    { type: 'activation', name: 'leaky', activation: 'leakyRelu' },
    { type: 'dense', name: 'head', units: 3 },
    { type: 'activation', name: 'probs', activation: 'softmax' },
  ],
};
/** Non-square `same` and strided convolutions, batch norm on images, every pooling, flatten in NHWC order. */
const CNN: ModelSpecInput = {
  inputShape: [7, 6, 2],
  layers: [
    { type: 'conv2d', name: 'conv1', filters: 4, kernelSize: [3, 2], padding: 'same', useBias: false, activation: 'leakyRelu' },
    { type: 'batchNorm', name: 'bn1' },
    { type: 'maxPool2d', name: 'pool1', poolSize: 2, strides: 1, padding: 'same' },
    { type: 'conv2d', name: 'conv2', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' },
    { type: 'avgPool2d', name: 'pool2', poolSize: 2, strides: 1, padding: 'same' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 4, activation: 'softmax' },
  ],
};
const GAP: ModelSpecInput = {
  inputShape: [5, 5, 3],
  layers: [
    { type: 'conv2d', name: 'conv', filters: 3, kernelSize: 2, activation: 'relu' },
    { type: 'avgPool2d', name: 'pool', poolSize: 2 },
    { type: 'globalAvgPool2d', name: 'gap' },
    { type: 'dense', name: 'out', units: 2, activation: 'sigmoid' },
  ],
};

/** Seeded weights with non-trivial biases and batch-norm statistics. */
function weightsFor(seed: number, current: NamedTensors): NamedTensors {
  const rng = createRng(seed);
  const out: NamedTensors = new Map();
  for (const [name, t] of current) {
    const positive = name.endsWith('.movingVariance') || name.endsWith('.gamma');
    out.set(name, { shape: t.shape, data: t.data.map(() => (positive ? 0.5 + rng.next() : rng.next() - 0.5)) });
  }
  return out;
}

async function liveModel(input: ModelSpecInput, seed: number): Promise<Model> {
  const spec = validateSpec(input);
  const m = await backend.createModel(spec, undefined, { seed });
  live.push(m);
  await m.setWeights(weightsFor(seed, await m.getWeights()));
  return m;
}

function inputs(spec: ModelSpec, size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size * spec.inputShape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1);
}

function maxDiff(a: Float32Array, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);
}

describe('tfjs layers model export', () => {
  test.each([
    ['mlp', MLP],
    ['cnn', CNN],
    ['gap', GAP],
  ] as const)(
    '%s: tf.loadLayersModel loads the export and predicts like the backend within 1e-5; import gives back the same spec and weights',
    async (name, input) => {
      const m = await liveModel(input, 11);
      const out = join(dir, `${name}-export`);
      await backend.exportModel!(m, 'tfjs', out);
      expect((await readdir(out)).sort()).toEqual(['model.json', 'weights.bin']);

      const loaded = await tf.loadLayersModel(fileLoadHandler(join(out, 'model.json')));
      const x = inputs(m.spec, 9, 3);
      const ours = await m.predict(x, 9);
      const theirs = await layersPredict(loaded, x, [9, ...m.spec.inputShape]);
      loaded.dispose();
      expect(maxDiff(theirs, ours)).toBeLessThan(1e-5);

      const imported = await backend.importModel!(out);
      expect(imported.spec).toEqual(m.spec);
      const weights = await m.getWeights();
      expect([...imported.weights.keys()]).toEqual([...weights.keys()]);
      for (const [param, t] of weights) expect(imported.weights.get(param), param).toEqual(t);
    },
  );

  test('a model.json path gets its shard beside it; the topology is a plain Keras functional model (leakyRelu as a LeakyReLU layer)', async () => {
    const m = await liveModel(MLP, 2);
    const file = join(dir, 'named', 'digits.json');
    await backend.exportModel!(m, 'tfjs', file);
    expect((await readdir(join(dir, 'named'))).sort()).toEqual(['digits.json', 'digits.weights.bin']);
    const json = JSON.parse(await readFile(file, 'utf8')) as {
      modelTopology: { class_name: string; config: { layers: { class_name: string; config: { name: string; alpha?: number } }[] } };
      weightsManifest: { paths: string[] }[];
    };
    expect(json.modelTopology.class_name).toBe('Model');
    expect(json.modelTopology.config.layers.slice(0, 4).map((l) => [l.class_name, l.config.name, l.config.alpha])).toEqual([
      ['InputLayer', 'input_1', undefined],
      ['Dense', 'enc1', undefined],
      ['LeakyReLU', 'enc1_leakyRelu', 0.01],
      ['BatchNormalization', 'bn1', undefined],
    ]);
    expect(json.weightsManifest[0]!.paths).toEqual(['digits.weights.bin']);
    const loaded = await tf.loadLayersModel(fileLoadHandler(file));
    const x = inputs(m.spec, 4, 8);
    expect(maxDiff(await layersPredict(loaded, x, [4, 6]), await m.predict(x, 4))).toBeLessThan(1e-5);
    loaded.dispose();
  });

  test('only format "tfjs" is written', async () => {
    const m = await liveModel(GAP, 1);
    await expect(backend.exportModel!(m, 'onnx', join(dir, 'x.onnx'))).rejects.toThrow(
      'the tfjs backend exports format "tfjs", not "onnx"',
    );
  });
});

describe('tfjs layers model import', () => {
  test('without our embedded spec, the Keras topology is mapped layer by layer to the same function', async () => {
    for (const [name, input] of [
      ['mlp', MLP],
      ['cnn', CNN],
    ] as const) {
      const m = await liveModel(input, 5);
      const out = join(dir, `${name}-plain`);
      await backend.exportModel!(m, 'tfjs', out);
      const file = join(out, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      delete json.userDefinedMetadata;
      await writeFile(file, JSON.stringify(json));
      const imported = await backend.importModel!(file);
      const back = await backend.createModel(imported.spec, imported.weights);
      live.push(back);
      const x = inputs(m.spec, 6, 4);
      expect(maxDiff(await back.predict(x, 6), await m.predict(x, 6)), name).toBeLessThan(1e-5);
      if (name === 'mlp') {
        // leakyRelu inside a dense layer comes back as a linear dense layer and a leakyRelu activation layer.
        expect(imported.spec.layers.slice(0, 2)).toEqual([
          { type: 'dense', name: 'enc1', units: 8, activation: 'linear', useBias: false },
          { type: 'activation', name: 'enc1_leakyRelu', activation: 'leakyRelu' },
        ]);
      }
    }
  });

  test('a model written by tfjs itself (ReLU, LeakyReLU and Softmax layers, generated names) imports and predicts like tfjs', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.batchNormalization({ center: false }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.leakyReLU({ alpha: 0.01 }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 5 }),
        tf.layers.reLU(),
        tf.layers.dense({ units: 3 }),
        tf.layers.softmax(),
      ],
    });
    // Non-trivial moving statistics, as after training.
    const bn = model.layers[1]!;
    bn.setWeights([tf.fill([3], 1.5), tf.tensor1d([0.2, -0.1, 0.3]), tf.tensor1d([0.5, 2, 1.2])]);
    const file = await saveToDirectory(model, join(dir, 'from-tfjs'));
    const x = inputs(validateSpec({ inputShape: [6, 6, 1], layers: [{ type: 'flatten', name: 'f' }] }), 5, 9);
    const want = await layersPredict(model, x, [5, 6, 6, 1]);
    const names = model.layers.map((l) => l.name);
    model.dispose();

    const imported = await backend.importModel!(file);
    expect(imported.spec.layers.map((l) => l.type)).toEqual([
      'conv2d',
      'batchNorm',
      'maxPool2d',
      'activation',
      'flatten',
      'dropout',
      'dense',
      'activation',
      'dense',
      'activation',
    ]);
    expect(imported.spec.layers.map((l) => l.name)).toEqual(names);
    // center: false stores no beta; it is zero.
    expect([...imported.weights.get(`${names[1]}.beta`)!.data]).toEqual([0, 0, 0]);
    const back = await backend.createModel(imported.spec, imported.weights);
    live.push(back);
    expect(maxDiff(await back.predict(x, 5), want)).toBeLessThan(1e-5);
  });

  test('a Keras-converter functional model (model_config, Keras 3 inbound nodes, scoped names, quantized weights) maps to the same function', async () => {
    const file = await writeKerasFixture(join(dir, 'keras'));
    const imported = await backend.importModel!(file);
    expect(imported.spec).toEqual(
      validateSpec({
        inputShape: [3, 3, 2],
        layers: [
          { type: 'conv2d', name: 'block1_conv', filters: 2, kernelSize: 2, padding: 'valid', activation: 'linear' },
          { type: 'activation', name: 're_lu', activation: 'relu' },
          { type: 'flatten', name: 'flatten' },
          { type: 'dense', name: 'predictions', units: 2, activation: 'softmax' },
        ],
      }),
    );
    // Dequantized: uint8 → v·scale + min; float16 → float.
    expect([...imported.weights.get('block1_conv.bias')!.data]).toEqual([0.5, -0.25]);
    expect(imported.weights.get('block1_conv.kernel')!.data[1]).toBeCloseTo(-0.9 + 0.01 * 10, 6);
    const x = Float32Array.from({ length: 18 * 2 }, (_, i) => ((i * 7) % 5) / 5 - 0.4);
    const back = await backend.createModel(imported.spec, imported.weights);
    live.push(back);
    expect(
      maxDiff(await back.predict(x, 2), referenceForward(imported.spec, toWeights64(imported.weights), x, 2, { training: false }).output),
    ).toBeLessThan(1e-6);
  });

  test.each([
    [
      'an unmapped layer class',
      (l: KerasLayerJson[]) => (l[2] = { ...l[2]!, class_name: 'LSTM', config: { name: 're_lu', units: 4 } }),
      /model\.json: layer LSTM "re_lu": layer class LSTM cannot be mapped to a headstart layer; supported: Dense, Conv2D, /,
    ],
    [
      'another leaky slope',
      (l: KerasLayerJson[]) => (l[2] = { ...l[2]!, class_name: 'LeakyReLU', config: { name: 're_lu', negative_slope: 0.3 } }),
      /layer LeakyReLU "re_lu": slope 0\.3: headstart's leakyRelu has slope 0\.01$/,
    ],
    [
      'an unknown activation',
      (l: KerasLayerJson[]) => (l[1]!.config.activation = 'swish'),
      /layer Conv2D "block1\/conv": activation "swish" has no headstart equivalent/,
    ],
    [
      'channels-first convolution',
      (l: KerasLayerJson[]) => (l[1]!.config.data_format = 'channels_first'),
      /layer Conv2D "block1\/conv": data_format channels_first: only channels_last models can be imported$/,
    ],
    [
      'softmax over another axis',
      (l: KerasLayerJson[]) => (l[2] = { ...l[2]!, class_name: 'Softmax', config: { name: 're_lu', axis: 1 } }),
      /layer "re_lu": axis 1 is not the last \(channels\) axis; headstart's softmax works over the last axis only$/,
    ],
    [
      'a single-input layer taking two inputs',
      (l: KerasLayerJson[]) =>
        (l[3]!.inbound_nodes = [
          [
            ['re_lu', 0, 0, {}],
            ['input_1', 0, 0, {}],
          ],
        ]),
      /layers\[2\] "flatten": inputs: flatten takes one input but inputs lists 2 \(re_lu, input\)$/,
    ],
  ])('%s is refused naming the layer', async (_, edit, message) => {
    const file = await writeKerasFixture(join(dir, `bad-${Math.random().toString(36).slice(2)}`), edit);
    await expect(backend.importModel!(file)).rejects.toThrow(message);
  });

  test('bad files are refused naming the file and what is wrong', async () => {
    const bad = join(dir, 'bad');
    const write = async (name: string, content: unknown) => {
      const file = join(bad, name);
      await mkdir(bad, { recursive: true });
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    };
    await expect(backend.importModel!(join(bad, 'none.json'))).rejects.toThrow(`${join(bad, 'none.json')}: no such file`);
    await expect(backend.importModel!(await write('text.json', 'not json'))).rejects.toThrow(
      /text\.json: not JSON \(.+\); expected a tfjs model\.json$/,
    );
    await expect(
      backend.importModel!(await write('graph.json', { format: 'graph-model', modelTopology: {}, weightsManifest: [] })),
    ).rejects.toThrow('graph.json: a tfjs graph model');
    const file = await writeKerasFixture(join(dir, 'escape'));
    const json = JSON.parse(await readFile(file, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0]!.paths = ['../../etc/passwd'];
    await writeFile(file, JSON.stringify(json));
    await expect(backend.importModel!(file)).rejects.toThrow('weights path "../../etc/passwd" is outside the model\'s directory');
    json.weightsManifest[0]!.paths = ['missing.bin'];
    await writeFile(file, JSON.stringify(json));
    await expect(backend.importModel!(file)).rejects.toThrow(/cannot read weights shard .+missing\.bin/);
  });

  test.each<[string, (manifest: Record<string, unknown>[]) => unknown, string]>([
    ['an empty group', () => [{}], 'weightsManifest[0]: paths: missing; expected an array of shard file names'],
    ['a group that is not an object', (m) => [...m, null], 'weightsManifest[1]: expected an object with paths and weights, got null'],
    [
      'a shard path that is not a string',
      (m) => [{ ...m[0], paths: [7] }],
      'weightsManifest[0]: paths: expected an array of shard file names, got [7]',
    ],
    [
      'a group without weights',
      (m) => [{ paths: m[0]!.paths }],
      'weightsManifest[0]: weights: missing; expected an array of weight entries',
    ],
    [
      'an entry that is not an object',
      (m) => [{ ...m[0], weights: ['kernel'] }],
      'weightsManifest[0].weights[0]: expected an object with name, shape and dtype, got "kernel"',
    ],
    [
      'an entry without a shape',
      (m) => [{ ...m[0], weights: withEntry(m, 2, { shape: undefined }) }],
      'weightsManifest[0].weights[2] "functional/predictions/kernel:0": shape: missing; expected an array of non-negative integers',
    ],
    [
      'a negative dimension',
      (m) => [{ ...m[0], weights: withEntry(m, 3, { shape: [-2] }) }],
      'weightsManifest[0].weights[3] "functional/predictions/bias:0": shape: expected an array of non-negative integers, got [-2]',
    ],
    [
      'an entry without a name',
      (m) => [{ ...m[0], weights: withEntry(m, 1, { name: undefined }) }],
      'weightsManifest[0].weights[1]: name: missing; expected a string',
    ],
    [
      'an entry without a dtype',
      (m) => [{ ...m[0], weights: withEntry(m, 0, { dtype: undefined }) }],
      'weightsManifest[0].weights[0] "functional/block1/conv/kernel:0": dtype: missing; expected a string',
    ],
  ])('a weights manifest with %s is refused naming the file, group, entry and field', async (_, edit, message) => {
    const file = await writeKerasFixture(join(dir, `manifest-${Math.random().toString(36).slice(2)}`));
    const json = JSON.parse(await readFile(file, 'utf8')) as { weightsManifest: Record<string, unknown>[] };
    json.weightsManifest = edit(json.weightsManifest) as Record<string, unknown>[];
    await writeFile(file, JSON.stringify(json));
    const error = await backend.importModel!(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'HeadstartError', code: 'BAD_INPUT' });
    expect((error as Error).message).toBe(`${file}: ${message}`);
  });
});

/** The manifest's first group's weights with entry `index` changed (a field set to undefined is dropped by JSON). */
function withEntry(manifest: Record<string, unknown>[], index: number, change: Record<string, unknown>): unknown[] {
  return (manifest[0]!.weights as Record<string, unknown>[]).map((entry, i) => (i === index ? { ...entry, ...change } : entry));
}

interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown | undefined;
}

/**
 * A functional model as the Keras converter writes one: wrapped in `model_config`, an InputLayer with
 * Keras 3's `batch_shape`, Keras 3 inbound nodes (and one in Keras 2's form), a Keras name with a
 * `/`, weights under a model scope with `:0`, a uint8-quantized kernel and a float16 bias.
 */
async function writeKerasFixture(at: string, edit?: (layers: KerasLayerJson[]) => void): Promise<string> {
  const history = (name: string) => [
    { args: [{ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [name, 0, 0] } }], kwargs: {} },
  ];
  const layers: KerasLayerJson[] = [
    { class_name: 'InputLayer', config: { batch_shape: [null, 3, 3, 2], dtype: 'float32', name: 'input_1' }, inbound_nodes: [] },
    {
      class_name: 'Conv2D',
      config: {
        name: 'block1/conv',
        filters: 2,
        kernel_size: [2, 2],
        strides: [1, 1],
        padding: 'valid',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        groups: 1,
        activation: 'linear',
        use_bias: true,
      },
      inbound_nodes: history('input_1'),
    },
    {
      class_name: 'ReLU',
      config: { name: 're_lu', max_value: null, negative_slope: 0, threshold: 0 },
      inbound_nodes: history('block1/conv'),
    },
    { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last' }, inbound_nodes: [[['re_lu', 0, 0, {}]]] },
    {
      class_name: 'Dense',
      config: { name: 'predictions', units: 2, activation: 'softmax', use_bias: true },
      inbound_nodes: history('flatten'),
    },
  ];
  edit?.(layers);
  // conv kernel [2,2,2,2] as uint8 (v·0.01 − 0.9); bias as float16 (0.5, −0.25); dense kernel [8,2] and bias float32.
  const kernelBytes = Uint8Array.from({ length: 16 }, (_, i) => (i * 10) % 181);
  const biasHalf = Uint16Array.of(0x3800, 0xb400);
  const dense = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i) / 2);
  const denseBias = Float32Array.of(0.1, -0.1);
  const bytes = Buffer.concat([
    Buffer.from(kernelBytes),
    Buffer.from(biasHalf.buffer),
    Buffer.from(dense.buffer),
    Buffer.from(denseBias.buffer),
  ]);
  const json = {
    format: 'layers-model',
    generatedBy: 'keras v3.3.3',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      model_config: {
        class_name: 'Functional',
        config: { name: 'functional', layers, input_layers: [['input_1', 0, 0]], output_layers: [['predictions', 0, 0]] },
      },
      training_config: {},
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          {
            name: 'functional/block1/conv/kernel:0',
            shape: [2, 2, 2, 2],
            dtype: 'float32',
            quantization: { dtype: 'uint8', scale: 0.01, min: -0.9 },
          },
          { name: 'functional/block1/conv/bias:0', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'functional/predictions/kernel:0', shape: [8, 2], dtype: 'float32' },
          { name: 'functional/predictions/bias:0', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  await mkdir(at, { recursive: true });
  await writeFile(join(at, 'group1-shard1of1.bin'), bytes);
  await writeFile(join(at, 'model.json'), JSON.stringify(json));
  return join(at, 'model.json');
}
