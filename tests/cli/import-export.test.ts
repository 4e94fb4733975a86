import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { readCheckpoint } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders } from '@headstart/data';
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

registerLoaders();

test('export --format onnx writes a model onnxruntime runs like the checkpoint; import brings the same weights back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-export-'));
  const [ckpt, onnx, back] = ['m.safetensors', 'm.onnx', 'back.safetensors'].map((f) => join(dir, f)) as [string, string, string];
  const digits = join(ROOT, 'data/digits/digits.csv');
  expect(
    (await runCli(['train', '--strategy', 'full-retrain', '--data', digits, '--scale', '16', '--epochs', '3', '--out', ckpt])).code,
  ).toBe(0);
  const exported = await runCli(['export', ckpt, '--format', 'onnx', '--out', onnx]);
  expect(exported.code).toBe(0);
  expect(exported.stdout).toBe(`exported ${ckpt} → ${onnx} (onnx)\n`);

  const checkpoint = await readCheckpoint(ckpt);
  const data = applyPreprocessing(checkpoint.manifest.preprocessing, await loadDataset(digits));
  const x = data.features.subarray(0, 64 * 100);
  const backend = createOnnxBackend();
  const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
  const want = await model.predict(x, 100);
  const session = await ort.InferenceSession.create(onnx);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [100, 64]) });
  const got = out[session.outputNames[0]!]!.data as Float32Array;
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);

  expect((await runCli(['import', onnx, '--out', back])).code).toBe(0);
  const imported = await readCheckpoint(back);
  expect(imported.manifest.spec).toEqual(checkpoint.manifest.spec);
  for (const [name, tensor] of checkpoint.weights) expect(imported.weights.get(name)!.data, name).toEqual(tensor.data);
  expect(imported.manifest.provenance[0]).toMatchObject({ strategy: 'import', backend: 'onnx' });
});

test('export to a format no backend writes says which formats exist', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-export-'));
  const ckpt = join(dir, 'm.safetensors');
  await runCli(['train', '--strategy', 'full-retrain', '--data', join(ROOT, 'data/digits/digits.csv'), '--epochs', '1', '--out', ckpt]);
  const run = await runCli(['export', ckpt, '--format', 'coreml', '--out', join(dir, 'x')]);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe('headstart: --format coreml: no backend exports it (formats: onnx, tfjs)\n');
});

test('import --labels --scale makes an exported classifier usable by evaluate as it is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-import-labels-'));
  const [ckpt, onnx, back] = ['m.safetensors', 'm.onnx', 'back.safetensors'].map((f) => join(dir, f)) as [string, string, string];
  const digits = join(ROOT, 'data/digits/digits.csv');
  expect(
    (await runCli(['train', '--strategy', 'full-retrain', '--data', digits, '--scale', '16', '--epochs', '3', '--out', ckpt])).code,
  ).toBe(0);
  expect((await runCli(['export', ckpt, '--format', 'onnx', '--out', onnx])).code).toBe(0);
  const bare = await runCli(['import', onnx, '--out', back]);
  expect(bare.code).toBe(0);
  expect((await runCli(['evaluate', '--model', back, '--data', digits])).stderr).toBe(
    `headstart: ${back}: the checkpoint has no label map; it is not a classifier\n`,
  );

  expect((await runCli(['import', onnx, '--out', back, '--labels', '0,1,2,3,4,5,6,7,8,9', '--scale', '16'])).code).toBe(0);
  const evaluate = async (model: string) =>
    JSON.parse((await runCli(['evaluate', '--model', model, '--data', digits, '--json'])).stdout) as { accuracy: number };
  const [original, imported] = [await evaluate(ckpt), await evaluate(back)];
  expect(original.accuracy).toBeGreaterThan(0.9);
  expect(imported.accuracy).toBe(original.accuracy);

  const wrong = await runCli(['import', onnx, '--out', back, '--labels', 'a,b']);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toBe('headstart: --labels: the model has 10 outputs; give 10 non-empty labels, comma-separated (got 2)\n');
});
