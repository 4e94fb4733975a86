import protobuf from 'protobufjs';
import {
  createRng,
  initializeWeights,
  validateSpec,
  withHeadUnits,
  type LayerInput,
  type Model,
  type ModelSpec,
  type NamedTensors,
} from '@headstart/core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { opaqueMlp, type OpaqueActivation } from '../__fixtures__/opaque-mlp.js';
import { pytorchStyleCnn } from '../__fixtures__/pytorch-style-cnn.js';
import { int, ints } from '../onnx/attributes.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/onnx-proto.js';
import { requireRuntime } from '../runtime/runtime.js';

const backend = createOnnxBackend();
const dir = mkdtempSync(join(tmpdir(), 'headstart-opaque-export-'));
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

function write(name: string, model: ModelProto): string {
  const file = join(dir, name);
  writeFileSync(file, encodeModel(model));
  return file;
}

function random(n: number, seed: number, low = 0, high = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => low + rng.next() * (high - low));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

async function create(spec: ModelSpec, weights: NamedTensors): Promise<Model> {
  const model = await backend.createModel(spec, weights, { seed: 1 });
  models.push(model);
  return model;
}

/** The exported file run in a fresh session: its output for `size` channels-last samples, and its input dims. */
async function runExported(
  file: string,
  x: Float32Array,
  size: number,
  sampleShape: number[],
): Promise<{ output: Float32Array; inputDims: readonly (number | string)[] }> {
  const ort = await requireRuntime();
  const session = await ort.InferenceSession.create(file);
  try {
    expect([session.inputNames, session.outputNames]).toEqual([['x'], ['output']]);
    const out = await session.run({ x: new ort.Tensor('float32', x, [size, ...sampleShape]) });
    const meta = session.inputMetadata[0]!;
    return { output: out.output!.data as Float32Array, inputDims: meta.isTensor ? meta.shape : [] };
  } finally {
    await session.release();
  }
}

/**
 * What `frozen-base` does: the imported model with a fresh head for `classes` (core's withHeadUnits),
 * the head trained on a batch while the block stays frozen.
 */
async function trainedHead(file: string, classes: number, sampleSize: number): Promise<Model> {
  const imported = await backend.importModel!(file);
  const { spec, head } = withHeadUnits(imported.spec, classes);
  const fresh = [...initializeWeights(spec, createRng(2))].filter(([name]) => name.startsWith(`${head}.`));
  const weights = new Map([...imported.weights, ...fresh]);
  const model = await create(spec, weights);
  const trainable = model
    .parameters()
    .filter((p) => p.name.startsWith(`${head}.`))
    .map((p) => p.name);
  const trainer = model.trainer({
    trainable,
    groups: [{ name: 'head', params: trainable, lr: 0.05 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
  });
  const batch = { x: random(24 * sampleSize, 4), labels: Int32Array.from({ length: 24 }, (_, i) => i % classes), size: 24 };
  const first = (await trainer.step(batch)).loss;
  let last = first;
  for (let i = 0; i < 15; i++) last = (await trainer.step(batch)).loss;
  trainer.dispose();
  expect(last).toBeLessThan(first);
  return model;
}

/** Export `model`, check a fresh session against predict(), import the file back and check again. */
async function exportAndCheck(
  model: Model,
  name: string,
  x: Float32Array,
  size: number,
): Promise<{ file: string; inputDims: readonly (number | string)[] }> {
  const file = join(dir, name);
  await backend.exportModel!(model, 'onnx', file);
  const want = await model.predict(x, size);
  const { output, inputDims } = await runExported(file, x, size, model.spec.inputShape);
  expect(maxDifference(output, want)).toBeLessThan(1e-5);

  const back = await backend.importModel!(file);
  expect(back.spec).toEqual(model.spec);
  const weights = await model.getWeights();
  expect([...back.weights.keys()].sort()).toEqual([...weights.keys()].sort());
  for (const [param, tensor] of weights)
    expect(Buffer.from(back.weights.get(param)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), param).toBe(true);
  const again = await (await create(back.spec, back.weights)).predict(x, size);
  expect(Buffer.from(again.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  return { file, inputDims };
}

describe.each<OpaqueActivation>(['Sin', 'SinGate'])('export of a head trained on the opaque base of an MLP with %s', (activation) => {
  it("splices the block in front of the head: onnxruntime gives the backend's predictions, and import gives them back", async () => {
    const model = await trainedHead(write(`mlp-${activation}.onnx`, opaqueMlp(activation)), 3, 64);
    const { file, inputDims } = await exportAndCheck(model, `mlp-${activation}-head.onnx`, random(50 * 64, 5), 50);
    expect(inputDims).toEqual(['N', 64]);
    // The block's nodes and weights are in the graph under its prefix; its bytes ride in the metadata.
    const exported = decodeModel(readFileSync(file));
    expect(exported.graph!.node!.map((n) => n.name).filter((n) => n!.startsWith('base/'))).toEqual(
      activation === 'Sin' ? ['base//fc1/Gemm', 'base//act/Sin'] : ['base//fc1/Gemm', 'base//act/Sin', 'base//act/Mul'],
    );
    expect(exported.graph!.initializer!.map((t) => t.name)).toEqual(
      expect.arrayContaining(['base/fc1.weight', 'base/fc1.bias', 'fc2.kernel', 'fc2.bias']),
    );
    expect(exported.metadataProps!.map((p) => p.key)).toEqual(['headstart.spec', 'headstart.param.base.graph']);
    expect(exported.opsetImport).toEqual([{ domain: '', version: 17 }]);
  });
});

describe('export of a head trained on the opaque base of a PyTorch-style CNN (NCHW block)', () => {
  it('turns channels-last input to NCHW for the block and its NCHW output back for the layers after it', async () => {
    const model = await trainedHead(write('cnn-sin.onnx', pytorchStyleCnn('Sin')), 4, 128);
    expect(model.spec.layers.map((l) => l.type)).toEqual(['onnx', 'maxPool2d', 'conv2d', 'batchNorm', 'activation', 'flatten', 'dense']);
    const { file, inputDims } = await exportAndCheck(model, 'cnn-head.onnx', random(20 * 128, 6, -1, 1), 20);
    expect(inputDims).toEqual(['N', 8, 8, 2]);
    const nodes = decodeModel(readFileSync(file)).graph!.node!;
    expect(nodes[0]).toMatchObject({ opType: 'Transpose', input: ['x'], output: ['base/input'] });
    expect(nodes[1]).toMatchObject({
      opType: 'Conv',
      name: 'base//conv1/Conv',
      input: ['base/input', 'base/conv1.weight', 'base/conv1.bias'],
    });
  });
});

describe('export of a block with a fixed batch size', () => {
  it('makes the batch symbolic when the block computes each sample alone', async () => {
    const onnx = opaqueMlp('Sin');
    onnx.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    onnx.graph!.output![0]!.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    const model = await trainedHead(write('batch-1.onnx', onnx), 3, 64);
    const { inputDims } = await exportAndCheck(model, 'batch-1-head.onnx', random(9 * 64, 7), 9);
    expect(inputDims).toEqual(['N', 64]);
  });

  it('keeps it when the block bakes it into a Reshape, as the original model did', async () => {
    // [1, 64] → Reshape [1, 8, 8] → Sin → Reshape [1, 64] → Gemm → Softmax: the block runs one sample at a time.
    const rng = createRng(3);
    const b = new GraphBuilder('baked');
    const x = b.input('input', [1, 64]);
    const folded = b.op('Sin', [b.op('Reshape', [x, b.int64s([1, 8, 8])], {}, [1, 8, 8], 'fold')], {}, [1, 8, 8], 'sin');
    const flat = b.op('Reshape', [folded, b.int64s([1, 64])], {}, [1, 64], 'unfold');
    const w = b.initializer(
      'fc.weight',
      Float32Array.from({ length: 3 * 64 }, () => rng.next() - 0.5),
      [3, 64],
    );
    const logits = b.op('Gemm', [flat, w, b.initializer('fc.bias', new Float32Array(3), [3])], { transB: int(1) }, [1, 3], 'fc');
    b.output(b.op('Softmax', [logits], { axis: int(1) }, [1, 3], 'probabilities'), 'probabilities');
    const { spec, weights } = await backend.importModel!(write('baked.onnx', b.toModel('t')));
    expect(spec.layers.map((l) => l.type)).toEqual(['onnx', 'dense']);
    const model = await create(spec, weights);
    const x1 = random(64, 8, -2, 2);
    const { file, inputDims } = await exportAndCheck(model, 'baked-export.onnx', x1, 1);
    expect(inputDims).toEqual([1, 64]);
    await expect(runExported(file, random(128, 9), 2, [64])).rejects.toThrow(
      /Got invalid dimensions for input: x .*index: 0 Got: 2 Expected: 1/s,
    );
  });
});

/** A block of one Sin on `[N, C, H, W]` images, written at `opset`, and a spec with `tail` after it. */
function sinBlockModel(opset: number, tail: LayerInput[]): { spec: ModelSpec; weights: NamedTensors } {
  const b = new GraphBuilder('sin');
  const y = b.op('Sin', [b.input('pixels', ['N', 2, 4, 4])], {}, ['N', 2, 4, 4], 'waves');
  b.output(b.op('Softmax', [y], { axis: int(1) }, ['N', 2, 4, 4], 'soft'), 'soft');
  const block = b.toModel('t');
  block.opsetImport = [{ domain: '', version: opset }];
  const bytes = encodeModel(block);
  const layers: LayerInput[] = [
    {
      type: 'onnx',
      name: 'base',
      inputShape: [4, 4, 2],
      outputShape: [4, 4, 2],
      graphBytes: bytes.length,
      unsupported: { op: 'Sin', node: 'waves', reason: 'test' },
    },
    ...tail,
  ];
  const spec = validateSpec({ inputShape: [4, 4, 2], layers });
  const weights = initializeWeights(spec, createRng(4));
  weights.set('base.graph', { shape: [bytes.length], data: Float32Array.from(bytes) });
  return { spec, weights };
}

describe('opset imports of the block and the head', () => {
  const tail: LayerInput[] = [
    { type: 'globalAvgPool2d', name: 'gap' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ];

  it('raise a block of opset 13 to our 17', async () => {
    const { spec, weights } = sinBlockModel(13, tail);
    const { file } = await exportAndCheck(await create(spec, weights), 'opset-13.onnx', random(6 * 32, 10, -2, 2), 6);
    expect(decodeModel(readFileSync(file)).opsetImport).toEqual([{ domain: '', version: 17 }]);
  });

  it("raise our graph to a block's opset 18, passing ReduceMean its axes as an input", async () => {
    const { spec, weights } = sinBlockModel(18, tail);
    const { file } = await exportAndCheck(await create(spec, weights), 'opset-18.onnx', random(6 * 32, 11, -2, 2), 6);
    const exported = decodeModel(readFileSync(file));
    expect(exported.opsetImport).toEqual([{ domain: '', version: 18 }]);
    const reduce = exported.graph!.node!.find((n) => n.opType === 'ReduceMean')!;
    expect(reduce.input).toHaveLength(2);
    expect(reduce.attribute!.map((a) => a.name)).toEqual(['keepdims']);
  });

  it('refuse a block whose ops changed meaning since its opset, naming the node', async () => {
    const { spec, weights } = sinBlockModel(12, tail);
    await expect(backend.exportModel!(await create(spec, weights), 'onnx', join(dir, 'opset-12.onnx'))).rejects.toThrow(
      'cannot merge ONNX opsets: layer "base" (an opaque ONNX block) imports the default ONNX domain at version 12 and the graph of the layers after it at 17; raising it would change node "n_Softmax" (Softmax was redefined at opset 13); export the original model with opset 17 (the one headstart writes) and import it again',
    );
  });
});

describe('names of the block that the head graph also uses', () => {
  it("stay apart: the block's values, initializers and nodes get its prefix", async () => {
    // The block's input is called x and its values output, transpose and fc2.kernel, like ours.
    const b = new GraphBuilder('clash');
    const x = b.input('x', ['N', 2, 3, 3]);
    const t = b.op('Transpose', [x], { perm: ints([0, 1, 3, 2]) }, ['N', 2, 3, 3], 'transpose');
    const k = b.initializer('fc2.kernel', Float32Array.of(0.5, -1), [1, 2, 1, 1]);
    b.output(
      b.op('Cos', [b.op('Conv', [t, k], { kernel_shape: ints([1, 1]) }, ['N', 1, 3, 3], 'output')], {}, ['N', 1, 3, 3], 'cos'),
      'cos',
    );
    const onnx = b.toModel('t');
    // Shape hints: the one of the input goes (x is ours), the other comes along renamed.
    onnx.graph!.valueInfo = ['x', 'transpose'].map((name) => ({
      name,
      type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }, { dimValue: 3 }, { dimValue: 3 }] } } },
    }));
    const bytes = encodeModel(onnx);
    const spec = validateSpec({
      inputShape: [3, 3, 2],
      layers: [
        {
          type: 'onnx',
          name: 'base',
          inputShape: [3, 3, 2],
          outputShape: [3, 3, 1],
          graphBytes: bytes.length,
          unsupported: { op: 'Cos', node: 'n_Cos', reason: 'test' },
        },
        { type: 'flatten', name: 'transpose' },
        { type: 'dense', name: 'fc2', units: 2, activation: 'softmax' },
      ],
    });
    const weights = initializeWeights(spec, createRng(5));
    weights.set('base.graph', { shape: [bytes.length], data: Float32Array.from(bytes) });
    const { file } = await exportAndCheck(await create(spec, weights), 'clash.onnx', random(4 * 18, 12, -1, 1), 4);
    const graph = decodeModel(readFileSync(file)).graph!;
    expect(graph.initializer!.map((i) => i.name)).toEqual(expect.arrayContaining(['base/fc2.kernel', 'fc2.kernel', 'fc2.bias']));
    expect(graph.node!.find((n) => n.opType === 'Cos')).toMatchObject({ input: ['base/output'], output: ['base/cos'] });
    expect(graph.node!.slice(0, 2)).toMatchObject([
      { opType: 'Transpose', input: ['x'], output: ['base/x'] },
      { opType: 'Transpose', input: ['base/x'], output: ['base/transpose'] },
    ]);
    expect(graph.valueInfo!.map((v) => v.name)).toEqual(['base/transpose']);
  });
});

describe('a model with a block alone', () => {
  it('exports the block with its layout conversions and no head', async () => {
    const { spec, weights } = sinBlockModel(17, []);
    const { file } = await exportAndCheck(await create(spec, weights), 'alone.onnx', random(3 * 32, 13, -2, 2), 3);
    expect(decodeModel(readFileSync(file)).graph!.node!.map((n) => n.opType)).toEqual(['Transpose', 'Sin', 'Softmax', 'Transpose']);
  });
});

/** A `FunctionProto` `local.MySin(a) → b` whose body is one Sin node, at opset 13 (written by hand: onnx/onnx-proto.ts only reads functions). */
function mySinFunction(): Uint8Array {
  const text = (w: protobuf.Writer, field: number, value: string): protobuf.Writer => w.uint32((field << 3) | 2).string(value);
  const node = text(text(text(protobuf.Writer.create(), 1, 'a'), 2, 'b'), 4, 'Sin').finish();
  const opset = text(protobuf.Writer.create(), 1, '')
    .uint32(2 << 3)
    .int64(13)
    .finish();
  const fn = text(text(text(protobuf.Writer.create(), 1, 'MySin'), 4, 'a'), 5, 'b')
    .uint32((7 << 3) | 2)
    .bytes(node)
    .uint32((9 << 3) | 2)
    .bytes(opset);
  return protobuf.Writer.create()
    .uint32((25 << 3) | 2)
    .bytes(text(fn, 10, 'local').finish())
    .finish();
}

describe('a block calling a model-local function', () => {
  it("brings the function along, and its domain's opset import", async () => {
    const b = new GraphBuilder('calls');
    b.output(b.op('MySin', [b.input('features', ['N', 4])], {}, ['N', 4], 'waves'), 'waves');
    const onnx = b.toModel('t');
    onnx.graph!.node![0]!.domain = 'local';
    onnx.opsetImport = [
      { domain: '', version: 13 },
      { domain: 'local', version: 1 },
    ];
    const bytes = Buffer.concat([encodeModel(onnx), mySinFunction()]);
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        {
          type: 'onnx',
          name: 'base',
          inputShape: [4],
          outputShape: [4],
          graphBytes: bytes.length,
          unsupported: { op: 'MySin', node: 'n_MySin', reason: 'test' },
        },
        { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
      ],
    });
    const weights = initializeWeights(spec, createRng(6));
    weights.set('base.graph', { shape: [bytes.length], data: Float32Array.from(bytes) });
    const model = await create(spec, weights);
    const x = random(5 * 4, 14, -3, 3);
    const { file } = await exportAndCheck(model, 'function.onnx', x, 5);
    // The head is a softmax over sin(x)·W + b: the block did compute the sine.
    const kernel = weights.get('head.kernel')!.data;
    const bias = weights.get('head.bias')!.data;
    const logits = [0, 1].map((o) => bias[o]! + [0, 1, 2, 3].reduce((sum, i) => sum + Math.sin(x[i]!) * kernel[i * 2 + o]!, 0));
    const first = logits.map((l) => Math.exp(l) / (Math.exp(logits[0]!) + Math.exp(logits[1]!)));
    expect(maxDifference((await runExported(file, x, 5, [4])).output.subarray(0, 2), Float32Array.from(first))).toBeLessThan(1e-5);
    const exported = decodeModel(readFileSync(file));
    expect(exported.functions!.map((f) => `${f.domain}.${f.name}`)).toEqual(['local.MySin']);
    expect(exported.opsetImport).toEqual([
      { domain: '', version: 17 },
      { domain: 'local', version: 1 },
    ]);
  });
});
