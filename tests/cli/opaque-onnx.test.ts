import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { readCheckpoint, readManifest } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders } from '@headstart/data';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, test } from 'vitest';
import { opaqueMlp } from '../../packages/backend-onnx/src/__fixtures__/opaque-mlp.js';
import { GraphBuilder } from '../../packages/backend-onnx/src/compiler/graph-builder.js';
import { encodeModel } from '../../packages/backend-onnx/src/onnx/onnx-proto.js';
import { jsonLines, ROOT, runCli } from './run-cli.js';

registerLoaders();

// An ONNX model as PyTorch exports one, with an op headstart has no layer for in the middle:
// input [N, 64] → Gemm fc1 (48) → Sin (/act/Sin) → Gemm fc2 (10) → Softmax, fixed random weights.
let dir: string;
let onnxFile: string;
let trainCsv: string;
let testCsv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-opaque-'));
  onnxFile = join(dir, 'sin-mlp.onnx');
  await writeFile(onnxFile, encodeModel(opaqueMlp('Sin')));
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  await writeFile(trainCsv, `${[header, ...rows.filter((_, i) => i % 5 !== 0)].join('\n')}\n`);
  await writeFile(testCsv, `${[header, ...rows.filter((_, i) => i % 5 === 0)].join('\n')}\n`);
});

async function scaledDigits(file: string): Promise<{ x: Float32Array; size: number; labels: Int32Array }> {
  const data = applyPreprocessing({ kind: 'scale', factor: 16 }, await loadDataset(file));
  return { x: data.features, size: data.size, labels: data.labels! };
}

async function runOnnx(model: string | Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, dims) });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe('an ONNX model with an op headstart cannot map', () => {
  test('imports as an opaque base (U8 in the checkpoint) and a mapped head that predict exactly as onnxruntime runs the file', async () => {
    const ckpt = join(dir, 'imported.safetensors');
    const run = await runCli(['import', onnxFile, '--out', ckpt]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'layer base is an opaque ONNX block (op Sin at node "/act/Sin" has no headstart layer): it runs forward only, as a frozen base\n',
    );
    const { tensors } = await readManifest(ckpt);
    expect(tensors.map((t) => `${t.name}:${t.dtype}:[${t.shape}]`)).toEqual([
      `base.graph:U8:[${tensors[0]!.bytes}]`,
      'fc2.kernel:F32:[48,10]',
      'fc2.bias:F32:[10]',
    ]);

    const checkpoint = await readCheckpoint(ckpt);
    expect(checkpoint.manifest.spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual(['onnx:base', 'dense:fc2']);
    const { x } = await scaledDigits(testCsv);
    const model = await createOnnxBackend().createModel(checkpoint.manifest.spec, checkpoint.weights);
    const got = await model.predict(x, 360);
    model.dispose();
    expect(maxDifference(got, await runOnnx(onnxFile, x, [360, 64]))).toBeLessThan(1e-5);
  });

  test('frozen-base trains a new head on features computed once through the opaque base', async () => {
    const ckpt = join(dir, 'head.safetensors');
    const trained = await runCli([
      'train',
      '--strategy',
      'frozen-base',
      '--from',
      onnxFile,
      '--data',
      trainCsv,
      '--scale',
      '16',
      '--out',
      ckpt,
      '--json',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const events = jsonLines(trained.stdout);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'log', message: expect.stringContaining('features were computed once') }),
    );

    // The base is random (random Fourier features of the pixels): chance is 0.1, a head on it reaches ~0.93.
    const evaluated = await runCli(['evaluate', '--model', ckpt, '--data', testCsv, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout) as { accuracy: number; loss: number };
    expect(result.accuracy).toBeGreaterThan(0.85);

    // The checkpoint is self-contained: its base.graph is an ONNX model onnxruntime runs alone, and
    // the base under the head is the imported one, byte for byte.
    const checkpoint = await readCheckpoint(ckpt);
    const imported = await readCheckpoint(join(dir, 'imported.safetensors'));
    const block = Uint8Array.from(checkpoint.weights.get('base.graph')!.data);
    expect(Buffer.from(block).equals(Buffer.from(Uint8Array.from(imported.weights.get('base.graph')!.data)))).toBe(true);
    const { x, size, labels } = await scaledDigits(testCsv);
    const features = await runOnnx(block, x, [size, 64]);
    const [kernel, bias] = [checkpoint.weights.get('fc2.kernel')!.data, checkpoint.weights.get('fc2.bias')!.data];
    const expected = new Float32Array(size * 10);
    for (let s = 0; s < size; s++) {
      const logits = Array.from(
        { length: 10 },
        (_, o) => bias[o]! + Array.from({ length: 48 }, (_, i) => features[s * 48 + i]! * kernel[i * 10 + o]!).reduce((a, b) => a + b, 0),
      );
      const top = Math.max(...logits);
      const total = logits.reduce((a, l) => a + Math.exp(l - top), 0);
      logits.forEach((l, o) => (expected[s * 10 + o] = Math.exp(l - top) / total));
    }
    const model = await createOnnxBackend().createModel(checkpoint.manifest.spec, checkpoint.weights);
    const predicted = await model.predict(x, size);
    model.dispose();
    expect(maxDifference(predicted, expected)).toBeLessThan(1e-5);
    // ...and `evaluate` in another process read the same model: the same accuracy.
    const correct = labels.reduce((n, label, s) => {
      const row = predicted.subarray(s * 10, s * 10 + 10);
      return n + (row.indexOf(Math.max(...row)) === label ? 1 : 0);
    }, 0);
    expect(correct / size).toBe(result.accuracy);
  });

  test('continued, which trains the base too, exits 2 naming the op and the node', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'continued',
      '--from',
      onnxFile,
      '--data',
      trainCsv,
      '--scale',
      '16',
      '--out',
      join(dir, 'c.safetensors'),
      '--json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: cannot train layer "base": it is an opaque ONNX block (op Sin at node "/act/Sin": no headstart layer computes it) that runs forward only; keep it frozen (--strategy frozen-base, or --freeze 'base.*')\n`,
    );
  });

  test('continued with the base frozen trains the head', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'continued',
      '--freeze',
      'base.*',
      '--lr',
      '0.01',
      '--epochs',
      '5',
      '--from',
      onnxFile,
      '--data',
      trainCsv,
      '--scale',
      '16',
      '--out',
      join(dir, 'cf.safetensors'),
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = jsonLines(run.stdout).at(-1) as { metrics: { valAccuracy: number } };
    expect(result.metrics.valAccuracy).toBeGreaterThan(0.8);
  });

  test('the tfjs backend refuses it in one line', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'frozen-base',
      '--backend',
      'tfjs',
      '--from',
      onnxFile,
      '--data',
      trainCsv,
      '--scale',
      '16',
      '--out',
      join(dir, 't.safetensors'),
      '--json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('headstart: not supported on tfjs: layer base is an opaque ONNX block (op Sin); use --backend onnx\n');
  });

  test('with an op onnxruntime cannot run either, import exits 2 in one line naming the node, the op and what onnxruntime said', async () => {
    const b = new GraphBuilder('tiny');
    b.output(b.op('FooBar', [b.input('x', ['N', 4])], {}, ['N', 4], 'y'), 'y');
    const model = b.toModel('tiny');
    model.graph!.node![0]!.name = 'foo';
    const file = join(dir, 'foobar.onnx');
    await writeFile(file, encodeModel(model));
    const run = await runCli(['import', file, '--out', join(dir, 'foobar.safetensors')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: ${file}: node "foo" (op FooBar) cannot be mapped to a headstart layer: no headstart layer computes it; ` +
        'onnxruntime cannot run the model as an opaque block either: This is an invalid model. In Node, ("foo", FooBar, "", -1) : ("x": tensor(float),) -> ("y",) , Error No Op registered for FooBar with domain_version of 17\n',
    );
  });
});
