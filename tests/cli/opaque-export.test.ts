import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { readCheckpoint, type Checkpoint } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders } from '@headstart/data';
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { opaqueMlp } from '../../packages/backend-onnx/src/__fixtures__/opaque-mlp.js';
import { encodeModel } from '../../packages/backend-onnx/src/onnx/onnx-proto.js';
import { ROOT, runCli } from './run-cli.js';

registerLoaders();

async function predict(checkpoint: Checkpoint, x: Float32Array, size: number): Promise<Float32Array> {
  const model = await createOnnxBackend().createModel(checkpoint.manifest.spec, checkpoint.weights);
  try {
    return await model.predict(x, size);
  } finally {
    model.dispose();
  }
}

/** Digits split 4:1 into train.csv and test.csv in `dir`. */
async function digitsSplit(dir: string): Promise<{ train: string; test: string }> {
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  const [train, test] = [join(dir, 'train.csv'), join(dir, 'test.csv')];
  await writeFile(train, `${[header, ...rows.filter((_, i) => i % 5 !== 0)].join('\n')}\n`);
  await writeFile(test, `${[header, ...rows.filter((_, i) => i % 5 === 0)].join('\n')}\n`);
  return { train, test };
}

test('export --format onnx of a head trained on an opaque base: one model onnxruntime runs like the backend, and import brings it back', async () => {
  // input [N, 64] → Gemm fc1 → Sin (/act/Sin, no headstart layer) → Gemm fc2 → Softmax; fc1 and Sin become the opaque base.
  const dir = await mkdtemp(join(tmpdir(), 'headstart-opaque-export-'));
  const [source, ckpt, onnx, back] = ['sin-mlp.onnx', 'head.safetensors', 'exported.onnx', 'back.safetensors'].map((f) => join(dir, f)) as [
    string,
    string,
    string,
    string,
  ];
  await writeFile(source, encodeModel(opaqueMlp('Sin')));
  const digits = join(ROOT, 'data/digits/digits.csv');
  const trainCsv = (await digitsSplit(dir)).train;
  const trained = await runCli([
    'train',
    '--strategy',
    'frozen-base',
    '--from',
    source,
    '--data',
    trainCsv,
    '--scale',
    '16',
    '--epochs',
    '5',
    '--out',
    ckpt,
  ]);
  expect(trained.code, trained.stderr).toBe(0);

  const exported = await runCli(['export', ckpt, '--format', 'onnx', '--out', onnx]);
  expect(exported.code, exported.stderr).toBe(0);
  expect(exported.stdout).toBe(`exported ${ckpt} → ${onnx} (onnx)\n`);
  expect(exported.stderr).toBe('');

  const checkpoint = await readCheckpoint(ckpt);
  expect(checkpoint.manifest.spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual(['onnx:base', 'dense:fc2']);
  const data = applyPreprocessing(checkpoint.manifest.preprocessing, await loadDataset(digits));
  const size = 500;
  const x = data.features.subarray(0, size * 64);
  const want = await predict(checkpoint, x, size);
  const session = await ort.InferenceSession.create(onnx);
  const out = await session.run({ x: new ort.Tensor('float32', x, [size, 64]) });
  await session.release();
  const got = out.output!.data as Float32Array;
  expect(got.length).toBe(size * 10);
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
  // The head was trained: its predictions are the labels far more often than chance.
  const correct = data.labels!.subarray(0, size).reduce((n, label, s) => {
    const row = got.subarray(s * 10, s * 10 + 10);
    return n + (row.indexOf(Math.max(...row)) === label ? 1 : 0);
  }, 0);
  expect(correct / size).toBeGreaterThan(0.8);

  const imported = await runCli(['import', onnx, '--out', back]);
  expect(imported.code, imported.stderr).toBe(0);
  const again = await readCheckpoint(back);
  expect(again.manifest.spec).toEqual(checkpoint.manifest.spec);
  for (const [name, tensor] of checkpoint.weights) expect(again.weights.get(name)!.data, name).toEqual(tensor.data);
  expect(Buffer.from((await predict(again, x, size)).buffer).equals(Buffer.from(want.buffer))).toBe(true);
});

test('frozen-base on a model that ends in an op headstart cannot map (LogSoftmax) adds a dense head on the block, and that exports too', async () => {
  // fc1 → Sin → fc2 → LogSoftmax: no cut leaves a mapped tail, so the whole model is the block, with no dense layer after it.
  const dir = await mkdtemp(join(tmpdir(), 'headstart-opaque-logsoftmax-'));
  const source = join(dir, 'log-softmax.onnx');
  const onnxModel = opaqueMlp('Sin');
  onnxModel.graph!.node!.at(-1)!.opType = 'LogSoftmax';
  await writeFile(source, encodeModel(onnxModel));
  const { train, test: held } = await digitsSplit(dir);
  const [ckpt, onnx] = [join(dir, 'head.safetensors'), join(dir, 'exported.onnx')];
  const trained = await runCli([
    'train',
    '--strategy',
    'frozen-base',
    '--from',
    source,
    '--data',
    train,
    '--scale',
    '16',
    '--epochs',
    '20',
    '--out',
    ckpt,
    '--json',
  ]);
  expect(trained.code, trained.stderr).toBe(0);
  expect(trained.stdout).toContain('frozen-base: new head (head) for labels [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]');

  const checkpoint = await readCheckpoint(ckpt);
  expect(checkpoint.manifest.spec.layers).toEqual([
    expect.objectContaining({ type: 'onnx', name: 'base', outputShape: [10], unsupported: expect.objectContaining({ op: 'Sin' }) }),
    expect.objectContaining({ type: 'dense', name: 'head', units: 10, activation: 'softmax' }),
  ]);
  // A head on the ten log-probabilities of a random network: well above chance (0.1); 0.68 when written.
  const evaluated = await runCli(['evaluate', '--model', ckpt, '--data', held, '--json']);
  expect(evaluated.code, evaluated.stderr).toBe(0);
  expect((JSON.parse(evaluated.stdout) as { accuracy: number }).accuracy).toBeGreaterThan(0.5);

  expect((await runCli(['export', ckpt, '--format', 'onnx', '--out', onnx])).code).toBe(0);
  const data = applyPreprocessing(checkpoint.manifest.preprocessing, await loadDataset(held));
  const x = data.features;
  const want = await predict(checkpoint, x, data.size);
  const session = await ort.InferenceSession.create(onnx);
  const got = (await session.run({ x: new ort.Tensor('float32', x, [data.size, 64]) })).output!.data as Float32Array;
  await session.release();
  expect(got.length).toBe(data.size * 10);
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
});
