import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadstartError, validateSpec, type ModelSpec } from '@headstart/core';
import { expect, test } from 'vitest';
import { createPlainJsBackend } from './base.js';

const backend = createPlainJsBackend();

const mlp: ModelSpec = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'hidden', units: 3, activation: 'relu' },
    { type: 'dense', name: 'head', units: 2 },
  ],
});

test('probe: available anywhere, on the js engine, saying why', async () => {
  const availability = await backend.probe();
  expect(availability).toMatchObject({
    available: true,
    engine: 'js',
    reasons: ['plain JavaScript: needs no native module or WebAssembly'],
  });
  const pkg = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
  expect(backend.meta.version).toBe(pkg.version);
});

test('its own code imports nothing but @headstart/core (and its subpaths): no native addon or WebAssembly, and no Node built-in but the file reading of its format, on use', async () => {
  const files = (await readdir(import.meta.dirname, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(files).toContain('layers/conv2d.ts');
  for (const file of files) {
    const source = await readFile(join(import.meta.dirname, file), 'utf8');
    const packages = [...source.matchAll(/(?:from|import)\s*'([^'.][^']*)'/g)].map((m) => m[1]);
    expect(
      packages.filter((p) => p !== '@headstart/core' && !p!.startsWith('@headstart/core/')),
      file,
    ).toEqual([]);
    // Loaded when a plainjs-json file is imported, so the backend still loads where there is no Node.
    const onUse = [...source.matchAll(/import\s*\(\s*'([^'.][^']*)'/g)].map((m) => m[1]);
    expect(onUse, file).toEqual(file === 'plain-json-format.ts' ? ['node:fs/promises'] : []);
  }
});

test('a model with an opaque ONNX block is refused in one NOT_SUPPORTED line naming the layer and op', async () => {
  const spec = validateSpec({
    inputShape: [4],
    layers: [
      { type: 'onnx', name: 'base', inputShape: [4], outputShape: [3], graphBytes: 8, unsupported: { op: 'Sin', node: 'sin_1' } },
      { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
    ],
  });
  const refused = await backend
    .createModel(spec, new Map([['base.graph', { shape: [8], data: new Float32Array(8) }]]))
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(HeadstartError);
  expect(refused).toMatchObject({
    code: 'NOT_SUPPORTED',
    message: 'not supported on plainjs: layer base is an opaque ONNX block (op Sin); use --backend onnx',
  });
});

test('weights of the wrong shape are refused naming the parameter, and nothing changes', async () => {
  const model = await backend.createModel(mlp, undefined, { seed: 1 });
  const before = await model.getWeights();
  const wrong = new Map([
    ['hidden.bias', { shape: [3], data: Float32Array.of(1, 2, 3) }],
    ['head.kernel', { shape: [2, 3], data: new Float32Array(6) }],
  ]);
  await expect(model.setWeights(wrong)).rejects.toThrow(
    'plainjs: parameter "head.kernel" has shape [2,3] (6 values); the model\'s is [3,2]',
  );
  expect(await model.getWeights()).toEqual(before);
  await expect(model.setWeights(new Map([['nope.kernel', { shape: [1], data: new Float32Array(1) }]]))).rejects.toThrow(
    /^plainjs: unknown parameter "nope\.kernel"; this model has hidden\.kernel, /,
  );
});

test('cross-entropy needs a model ending in a softmax; labels must be class indices', async () => {
  const model = await backend.createModel(mlp, undefined, { seed: 1 });
  const options = {
    trainable: ['head.kernel'],
    groups: [{ name: 'head', params: ['head.kernel'], lr: 0.1 }],
    optimizer: { type: 'sgd' as const },
  };
  expect(() => model.trainer({ ...options, loss: 'softmaxCrossEntropy' })).toThrow(
    'loss softmaxCrossEntropy needs a model ending in a softmax activation',
  );
  const trainer = model.trainer({ ...options, loss: 'mse' });
  await expect(trainer.step({ x: new Float32Array(8), size: 2 })).rejects.toThrow('plainjs: mse needs 4 targets in the batch, got none');
  await expect(trainer.step({ x: new Float32Array(7), size: 2, targets: new Float32Array(4) })).rejects.toThrow(
    'expected 2 samples of 4 features (8 values), got 7 values',
  );
});

test('createModel refuses a graph model (a residual add) in one line naming the layer; a chain with explicit inputs runs as before', async () => {
  const residual = validateSpec({
    inputShape: [4],
    layers: [
      { type: 'dense', name: 'hidden', units: 4, activation: 'relu' },
      { type: 'add', name: 'res', inputs: ['hidden', 'input'] },
      { type: 'dense', name: 'head', units: 2 },
    ],
  });
  const refusal = await backend.createModel(residual).catch((error: unknown) => error);
  expect(refusal).toBeInstanceOf(HeadstartError);
  expect((refusal as HeadstartError).code).toBe('NOT_SUPPORTED');
  expect((refusal as Error).message).toBe('layer "res": graph models (add, concat, branches) are not supported by the plainjs backend yet');
  // As a caller may build it, without validateSpec (which drops inputs equal to the default).
  const explicit: ModelSpec = {
    ...mlp,
    layers: mlp.layers.map((l, i) => ({ ...l, inputs: [i === 0 ? 'input' : mlp.layers[i - 1]!.name] })),
  };
  const x = Float32Array.from([0.5, -1, 2, 0.25]);
  const a = await (await backend.createModel(mlp, undefined, { seed: 3 })).predict(x, 1);
  const b = await (await backend.createModel(explicit, undefined, { seed: 3 })).predict(x, 1);
  expect([...b]).toEqual([...a]);
});

test('loss options and soft labels are refused in one line, not trained as plain cross-entropy', async () => {
  const classifier = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'head', units: 2, activation: 'softmax' }] });
  const model = await backend.createModel(classifier, undefined, { seed: 1 });
  const options = {
    trainable: ['head.kernel'],
    groups: [{ name: 'head', params: ['head.kernel'], lr: 0.1 }],
    optimizer: { type: 'sgd' as const },
    loss: 'softmaxCrossEntropy' as const,
  };
  expect(() => model.trainer({ ...options, lossOptions: { labelSmoothing: 0.1, classWeights: [1, 2] } })).toThrow(
    new HeadstartError('NOT_SUPPORTED', 'not supported on plainjs: loss option labelSmoothing, classWeights; use --backend onnx or tfjs'),
  );
  const trainer = model.trainer(options);
  const soft = { x: new Float32Array(8), size: 2, labels: Int32Array.of(0, 1), targets: Float32Array.of(0.5, 0.5, 0.2, 0.8) };
  await expect(trainer.step(soft)).rejects.toThrow(
    'not supported on plainjs: soft labels (targets in a softmaxCrossEntropy batch); use --backend onnx or tfjs',
  );
});
