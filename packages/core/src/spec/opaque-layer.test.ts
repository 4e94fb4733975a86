import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { planTraining } from '../backend-kit/training-plan.js';
import { readCheckpoint, readManifest, writeCheckpoint } from '../checkpoint/checkpoint-file.js';
import { createRng } from '../rng.js';
import type { NamedTensors } from '../tensors.js';
import { initializeWeights } from './initializers.js';
import { validateSpec, type ModelSpecInput } from './model-spec.js';
import { inferShapes, parameterShapes } from './shapes.js';

/** An imported model: an opaque ONNX block (12 bytes of "graph") under a dense head. */
const input: ModelSpecInput = {
  inputShape: [8, 8, 1],
  layers: [
    {
      type: 'onnx',
      name: 'base',
      inputShape: [8, 8, 1],
      outputShape: [4, 4, 3],
      graphBytes: 12,
      unsupported: { op: 'Erf', node: '/act/Erf', reason: 'no headstart layer computes it' },
    },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};
const graph = Float32Array.from({ length: 12 }, (_, i) => (i * 37) % 256);
const dir = await mkdtemp(join(tmpdir(), 'headstart-opaque-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('an opaque ONNX layer', () => {
  test('passes its declared output shape on and owns one uint8 "graph" parameter of its byte size', () => {
    const spec = validateSpec(input);
    expect(inferShapes(spec).map((l) => l.outputShape)).toEqual([[4, 4, 3], [48], [3]]);
    expect(parameterShapes(spec)[0]).toEqual({ name: 'base.graph', layer: 'base', shape: [12], role: 'graph', dtype: 'uint8' });
    // It has no fresh value: only an import gives it.
    expect([...initializeWeights(spec, createRng(1)).keys()]).toEqual(['head.kernel', 'head.bias']);
  });

  test('must be the first layer and get the input it was cut for', () => {
    const second = {
      ...input,
      layers: [
        { type: 'flatten', name: 'first' },
        { ...input.layers[0]!, inputShape: [64] },
      ],
    } as ModelSpecInput;
    expect(() => validateSpec({ ...second, inputShape: [8, 8, 1] }, 'm.json')).toThrow(
      'm.json: layers[1] "base": type: an opaque ONNX block can only be the first layer',
    );
    expect(() => validateSpec({ ...input, inputShape: [8, 8, 3] }, 'm.json')).toThrow(
      'm.json: layers[0] "base": inputShape: the ONNX block was cut for input [8,8,1] but receives [8,8,3]',
    );
  });

  test('cannot be trained: the plan names the op and the node', () => {
    const spec = validateSpec(input);
    const all = ['base.graph', 'head.kernel', 'head.bias'];
    expect(() =>
      planTraining(spec, {
        trainable: all,
        groups: [{ name: 'all', params: all, lr: 0.1 }],
        optimizer: { type: 'sgd' },
        loss: 'softmaxCrossEntropy',
      }),
    ).toThrow(
      `cannot train layer "base": it is an opaque ONNX block (op Erf at node "/act/Erf": no headstart layer computes it) that runs forward only; keep it frozen (--strategy frozen-base, or --freeze 'base.*')`,
    );
    const head = ['head.kernel', 'head.bias'];
    expect(
      planTraining(spec, {
        trainable: head,
        groups: [{ name: 'head', params: head, lr: 0.1 }],
        optimizer: { type: 'sgd' },
        loss: 'softmaxCrossEntropy',
      }).trained.map((p) => p.name),
    ).toEqual(head);
  });

  test('is stored as a U8 tensor that reads back byte for byte', async () => {
    const spec = validateSpec(input);
    const weights: NamedTensors = new Map([['base.graph', { shape: [12], data: graph }], ...initializeWeights(spec, createRng(2))]);
    const file = join(dir, 'opaque.safetensors');
    await writeCheckpoint(file, { manifest: { spec, preprocessing: { kind: 'none' }, provenance: [] }, weights });
    const overview = await readManifest(file);
    expect(overview.tensors.map((t) => [t.name, t.dtype, t.bytes])).toEqual([
      ['base.graph', 'U8', 12],
      ['head.kernel', 'F32', 48 * 3 * 4],
      ['head.bias', 'F32', 12],
    ]);
    // The data section starts with the 12 bytes themselves.
    const bytes = await readFile(file);
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    expect([...bytes.subarray(dataStart, dataStart + 12)]).toEqual([...graph]);
    const back = await readCheckpoint(file);
    expect(back.weights.get('base.graph')!.data).toEqual(graph);
    expect(back.weights.get('head.kernel')!.data).toEqual(weights.get('head.kernel')!.data);
  });

  test('refuses to write a value that is not a byte, and to read the graph as F32', async () => {
    const spec = validateSpec(input);
    const file = join(dir, 'bad.safetensors');
    const bad: NamedTensors = new Map([
      ['base.graph', { shape: [12], data: Float32Array.from(graph, (v, i) => (i === 3 ? 256 : v)) }],
      ...initializeWeights(spec, createRng(2)),
    ]);
    await expect(
      writeCheckpoint(file, { manifest: { spec, preprocessing: { kind: 'none' }, provenance: [] }, weights: bad }),
    ).rejects.toThrow('cannot write: tensor "base.graph": value 256 at index 3 is not a byte (0–255), as a U8 tensor needs');

    // The same checkpoint with the graph's entry claiming F32 (its 12 bytes as 3 floats).
    const good = join(dir, 'good.safetensors');
    await writeCheckpoint(good, {
      manifest: { spec, preprocessing: { kind: 'none' }, provenance: [] },
      weights: new Map([['base.graph', { shape: [12], data: graph }], ...initializeWeights(spec, createRng(2))]),
    });
    const bytes = await readFile(good);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = bytes
      .subarray(8, 8 + length)
      .toString('utf8')
      .replace('"dtype":"U8","shape":[12]', '"dtype":"F32","shape":[3]');
    await writeFile(file, Buffer.concat([bytes.subarray(0, 8 + length - header.length), Buffer.from(header), bytes.subarray(8 + length)]));
    await expect(readCheckpoint(file)).rejects.toThrow(`${file}: parameter base.graph: expected shape [12], found [3]`);
  });
});
