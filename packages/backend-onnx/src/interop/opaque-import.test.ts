import { createRng, readCheckpoint, readManifest, writeCheckpoint, type Model, type NamedTensors } from '@headstart/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { opaqueMlp, type OpaqueActivation } from '../__fixtures__/opaque-mlp.js';
import { pytorchStyleCnn } from '../__fixtures__/pytorch-style-cnn.js';
import { int } from '../onnx/attributes.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/onnx-proto.js';
import { requireRuntime } from '../runtime/runtime.js';

const backend = createOnnxBackend();
const dir = mkdtempSync(join(tmpdir(), 'headstart-opaque-'));
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

function write(name: string, model: ModelProto): string {
  const file = join(dir, name);
  writeFileSync(file, encodeModel(model));
  return file;
}

function random(n: number, seed: number, low = -1, high = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => low + rng.next() * (high - low));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

/** What onnxruntime computes on the original file. */
async function reference(file: string, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const ort = await requireRuntime();
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, dims) });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

async function create(spec: Parameters<typeof backend.createModel>[0], weights: NamedTensors): Promise<Model> {
  const model = await backend.createModel(spec, weights, { seed: 1 });
  models.push(model);
  return model;
}

describe.each<[OpaqueActivation, string, string]>([
  ['Sin', 'Sin', '/act/Sin'],
  ['SinGate', 'Sin', '/act/Sin'],
])('import of an MLP with %s between its Gemms', (activation, op, node) => {
  const file = write(`mlp-${activation}.onnx`, opaqueMlp(activation));

  it('keeps fc1 and the activation as an opaque base and maps the head, predicting as onnxruntime does', async () => {
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.inputShape).toEqual([64]);
    expect(spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual(['onnx:base', 'dense:fc2']);
    expect(spec.layers[0]).toMatchObject({ inputShape: [64], outputShape: [48], unsupported: { op, node } });
    expect(spec.layers[1]).toMatchObject({ units: 10, activation: 'softmax' });
    expect([...weights.keys()]).toEqual(['base.graph', 'fc2.kernel', 'fc2.bias']);
    // The block holds only what it computes: fc1's weights, not fc2's.
    const block = decodeModel(Uint8Array.from(weights.get('base.graph')!.data));
    expect(block.graph!.initializer!.map((t) => t.name)).toEqual(expect.arrayContaining(['fc1.weight', 'fc1.bias']));
    expect(block.graph!.initializer!.map((t) => t.name)).not.toContain('fc2.weight');
    expect(block.graph!.output!.map((o) => o.name)).toEqual([activation === 'Sin' ? '/act/Sin' : '/act/Mul']);

    const x = random(100 * 64, 3, 0, 1);
    const model = await create(spec, weights);
    const got = await model.predict(x, 100);
    expect(maxDifference(got, await reference(file, x, [100, 64]))).toBeLessThan(1e-5);
  });
});

describe('import of an MLP with GELU as PyTorch exports it before opset 20 (Div, Erf, Add, Mul, Mul)', () => {
  it('maps the five nodes as one gelu folded into fc1: no opaque block, predicting as onnxruntime does', async () => {
    const file = write('mlp-gelu-erf.onnx', opaqueMlp('GeluErf'));
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.layers).toEqual([
      { type: 'dense', name: 'fc1', units: 48, activation: 'gelu', useBias: true },
      { type: 'dense', name: 'fc2', units: 10, activation: 'softmax', useBias: true },
    ]);
    const x = random(100 * 64, 3, 0, 1);
    const got = await (await create(spec, weights)).predict(x, 100);
    expect(maxDifference(got, await reference(file, x, [100, 64]))).toBeLessThan(1e-5);
  });
});

describe('an opaque base in a model', () => {
  const file = write('mlp-sin.onnx', opaqueMlp('Sin'));

  it('trains the head on it while the block stays bit-identical; training the block names the op and node', async () => {
    const { spec, weights } = await backend.importModel!(file);
    const model = await create(spec, weights);
    expect(model.parameters()[0]).toEqual({ name: 'base.graph', shape: [weights.get('base.graph')!.data.length], trainable: false });
    const head = ['fc2.kernel', 'fc2.bias'];
    const group = (params: string[]) => [{ name: 'all', params, lr: 0.05 }];
    expect(() =>
      model.trainer({
        trainable: ['base.graph', ...head],
        groups: group(['base.graph', ...head]),
        optimizer: { type: 'adam' },
        loss: 'softmaxCrossEntropy',
      }),
    ).toThrow(
      'cannot train layer "base": it is an opaque ONNX block (op Sin at node "/act/Sin": no headstart layer computes it) that runs forward only; keep it frozen (--strategy frozen-base, or --freeze \'base.*\')',
    );

    const trainer = model.trainer({ trainable: head, groups: group(head), optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' });
    const batch = { x: random(32 * 64, 4, 0, 1), labels: Int32Array.from({ length: 32 }, (_, i) => i % 10), size: 32 };
    const first = (await trainer.step(batch)).loss;
    let last = first;
    for (let i = 0; i < 40; i++) last = (await trainer.step(batch)).loss;
    expect(last).toBeLessThan(first * 0.5);
    const many = await trainer.stepMany!([batch, batch], [1, 1]);
    expect(many).toHaveLength(2);
    const evaluated = await trainer.evaluate(batch);
    expect(evaluated.outputs).toHaveLength(320);
    trainer.dispose();
    const after = await model.getWeights();
    expect(Buffer.from(after.get('base.graph')!.data.buffer).equals(Buffer.from(weights.get('base.graph')!.data.buffer))).toBe(true);
    expect(maxDifference(after.get('fc2.kernel')!.data, weights.get('fc2.kernel')!.data)).toBeGreaterThan(1e-3);
  });

  it('round-trips through a checkpoint, the block stored as U8, predicting exactly the same', async () => {
    const { spec, weights } = await backend.importModel!(file);
    const ckpt = join(dir, 'opaque.safetensors');
    await writeCheckpoint(ckpt, { manifest: { spec, preprocessing: { kind: 'none' }, provenance: [] }, weights });
    const overview = await readManifest(ckpt);
    expect(overview.tensors[0]).toEqual({
      name: 'base.graph',
      shape: [spec.layers[0]!.type === 'onnx' ? spec.layers[0]!.graphBytes : -1],
      dtype: 'U8',
      bytes: weights.get('base.graph')!.data.length,
    });
    const back = await readCheckpoint(ckpt);
    expect(back.manifest.spec).toEqual(spec);
    const x = random(20 * 64, 6, 0, 1);
    const before = await (await create(spec, weights)).predict(x, 20);
    const after = await (await create(back.manifest.spec, back.weights)).predict(x, 20);
    expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });

  it('refuses a model without its graph (fresh weights), naming the op, node and parameter', async () => {
    const { spec } = await backend.importModel!(file);
    await expect(backend.createModel(spec)).rejects.toThrow(
      'layer "base" is an opaque ONNX block (op Sin at node "/act/Sin") and cannot start from fresh weights: it needs its imported graph "base.graph", which the weights lack',
    );
  });
});

describe('import of a PyTorch-style CNN with an unsupported op after its first convolution', () => {
  it('runs the NCHW block on channels-last input and maps the layers after it', async () => {
    const file = write('cnn-sin.onnx', pytorchStyleCnn('Sin'));
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.inputShape).toEqual([8, 8, 2]);
    expect(spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual([
      'onnx:base',
      'maxPool2d:pool',
      'conv2d:conv2',
      'batchNorm:bn',
      'activation:relu_1',
      'flatten:flatten',
      'dense:fc',
    ]);
    expect(spec.layers[0]).toMatchObject({ inputShape: [8, 8, 2], outputShape: [8, 8, 4], unsupported: { op: 'Sin', node: '/odd/Sin' } });
    const x = random(6 * 128, 2);
    const nchw = new Float32Array(x.length);
    for (let s = 0; s < 6; s++)
      for (let p = 0; p < 64; p++) for (let c = 0; c < 2; c++) nchw[s * 128 + c * 64 + p] = x[s * 128 + p * 2 + c]!;
    const model = await create(spec, weights);
    expect(maxDifference(await model.predict(x, 6), await reference(file, nchw, [6, 2, 8, 8]))).toBeLessThan(1e-5);
  });
});

/**
 * A PyTorch-style residual MLP: relu(a(x)) → b(·) [→ `innerOp`] → + relu(a(x)) → relu → head → softmax.
 */
function residualMlp(innerOp?: string): ModelProto {
  const rng = createRng(9);
  const b = new GraphBuilder('residual');
  const w = (name: string, shape: number[]): string =>
    b.initializer(
      name,
      Float32Array.from({ length: shape[0]! * (shape[1] ?? 1) }, () => rng.next() - 0.5),
      shape,
    );
  const gemm = { transB: int(1) };
  const x = b.input('input', ['N', 16]);
  const a = b.op(
    'Relu',
    [b.op('Gemm', [x, w('a.weight', [16, 16]), w('a.bias', [16])], gemm, ['N', 16], '/a/Gemm')],
    {},
    ['N', 16],
    '/a/Relu',
  );
  let inner = b.op('Gemm', [a, w('b.weight', [16, 16]), w('b.bias', [16])], gemm, ['N', 16], '/b/Gemm');
  if (innerOp) inner = b.op(innerOp, [inner], {}, ['N', 16], `/b/${innerOp}`);
  const merged = b.op('Relu', [b.op('Add', [inner, a], {}, ['N', 16], '/Add')], {}, ['N', 16], '/Relu');
  const head = b.op('Gemm', [merged, w('head.weight', [4, 16]), w('head.bias', [4])], gemm, ['N', 4], '/head/Gemm');
  b.output(b.op('Softmax', [head], { axis: int(1) }, ['N', 4], 'probabilities'), 'probabilities');
  const model = b.toModel('torch-like');
  for (const node of model.graph!.node!) node.name = node.output[0]!;
  return model;
}

describe('import of a residual block (a branch and a merge)', () => {
  it('maps the merge to an add layer, with no opaque block', async () => {
    const { spec } = await backend.importModel!(write('residual.onnx', residualMlp()));
    expect(spec.layers).toEqual([
      { type: 'dense', name: 'a', units: 16, useBias: true, activation: 'relu' },
      { type: 'dense', name: 'b', units: 16, useBias: true, activation: 'linear' },
      { type: 'add', name: 'add', inputs: ['b', 'a'] },
      { type: 'activation', name: 'relu', activation: 'relu' },
      { type: 'dense', name: 'head', units: 4, useBias: true, activation: 'softmax' },
    ]);
  });

  it('with an unsupported op in a branch, puts the block in the opaque base, cutting where the branches have merged', async () => {
    const file = write('residual-sin.onnx', residualMlp('Sin'));
    const { spec, weights } = await backend.importModel!(file);
    // The merge reads the branch point's value, so the first cut with one value crossing is after the Add.
    expect(spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual(['onnx:base', 'activation:relu', 'dense:head']);
    expect(spec.layers[0]).toMatchObject({ unsupported: { op: 'Sin', node: '/b/Sin', reason: 'no headstart layer computes it' } });
    const x1 = random(9 * 16, 11);
    expect(maxDifference(await (await create(spec, weights)).predict(x1, 9), await reference(file, x1, [9, 16]))).toBeLessThan(1e-5);
  });
});

describe('a model exported with a fixed batch size of 1 (no dynamic axes)', () => {
  it('runs its block one sample at a time', async () => {
    const model = opaqueMlp('Sin');
    model.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    model.graph!.output![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    const file = write('batch-1.onnx', model);
    const { spec, weights } = await backend.importModel!(file);
    const x = random(7 * 64, 12, 0, 1);
    const expected = new Float32Array(70);
    for (let s = 0; s < 7; s++) expected.set(await reference(file, x.subarray(s * 64, s * 64 + 64), [1, 64]), s * 10);
    expect(maxDifference(await (await create(spec, weights)).predict(x, 7), expected)).toBeLessThan(1e-5);
  });
});

describe('a model with no layer after its last unsupported op', () => {
  it('is one opaque block with no head', async () => {
    const b = new GraphBuilder('tiny');
    b.output(b.op('Sin', [b.input('x', ['N', 4])], {}, ['N', 4], 'y'), 'y');
    const model = b.toModel('tiny');
    model.graph!.node![0]!.name = 'only_sin';
    const file = write('sin-only.onnx', model);
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.layers).toEqual([
      expect.objectContaining({
        type: 'onnx',
        name: 'base',
        outputShape: [4],
        unsupported: expect.objectContaining({ op: 'Sin', node: 'only_sin' }),
      }),
    ]);
    // Nothing to cut: the block is the file itself.
    expect(Buffer.from(Uint8Array.from(weights.get('base.graph')!.data)).equals(Buffer.from(encodeModel(model)))).toBe(true);
    const live = await create(spec, weights);
    const x = Float32Array.of(0, 1, 2, 3);
    expect(maxDifference(await live.predict(x, 1), x.map(Math.sin))).toBeLessThan(1e-6);
    expect(() => live.trainer({ trainable: [], groups: [], optimizer: { type: 'adam' }, loss: 'mse' })).toThrow(
      /cannot train layer "base"/,
    );
  });
});

describe('a model with an op onnxruntime has no kernel for', () => {
  it('fails in one NOT_SUPPORTED line naming the node, the op and what onnxruntime said', async () => {
    const b = new GraphBuilder('tiny');
    b.output(b.op('FooBar', [b.input('x', ['N', 4])], {}, ['N', 4], 'y'), 'y');
    const model = b.toModel('tiny');
    model.graph!.node![0]!.name = 'foo';
    const file = write('foobar.onnx', model);
    const error = await backend.importModel!(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'HeadstartError', code: 'NOT_SUPPORTED' });
    expect((error as Error).message).toBe(
      `${file}: node "foo" (op FooBar) cannot be mapped to a headstart layer: ` +
        'no headstart layer computes it; onnxruntime cannot run the model as an opaque block either: This is an invalid model. In Node, ("foo", FooBar, "", -1) : ("x": tensor(float),) -> ("y",) , Error No Op registered for FooBar with domain_version of 17',
    );
  });
});
