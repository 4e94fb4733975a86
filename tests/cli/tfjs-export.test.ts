import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { evaluateClassifier, readCheckpoint } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders } from '@headstart/data';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { fileLoader } from '../fixtures/tfjs-file-loader.js';
import { jsonLines, ROOT, runCli } from './run-cli.js';

registerLoaders();

const DIGITS = join(ROOT, 'data/digits/digits.csv');
let dir: string;
let ckpt: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-tfjs-export-'));
  ckpt = join(dir, 'digits.safetensors');
  // Trained on the tfjs backend: the default MLP has only dense layers, so it runs on the wasm engine.
  const trained = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    DIGITS,
    '--scale',
    '16',
    '--epochs',
    '4',
    '--backend',
    'tfjs',
    '--out',
    ckpt,
    '--json',
  ]);
  expect(trained.code, trained.stderr).toBe(0);
  expect(jsonLines(trained.stdout).find((e) => e.type === 'run-start')).toMatchObject({ backend: 'tfjs', engine: 'wasm+cpu' });
}, 120_000);

test('export --format tfjs writes a layers model that tf.loadLayersModel runs like the checkpoint; import brings it back with the same accuracy', async () => {
  const out = join(dir, 'web-model');
  const exported = await runCli(['export', ckpt, '--format', 'tfjs', '--out', out]);
  expect(exported.code, exported.stderr).toBe(0);
  expect(exported.stdout).toBe(`exported ${ckpt} → ${out} (tfjs)\n`);
  expect((await readdir(out)).sort()).toEqual(['model.json', 'weights.bin']);

  // The exported model, loaded by TensorFlow.js itself, predicts what the checkpoint does.
  const checkpoint = await readCheckpoint(ckpt);
  const data = applyPreprocessing(checkpoint.manifest.preprocessing, await loadDataset(DIGITS));
  const size = 300;
  const x = data.features.subarray(0, 64 * size);
  const backend = createTfjsBackend({ note: () => undefined });
  const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
  const want = await model.predict(x, size);
  const loaded = await tf.loadLayersModel(fileLoader(join(out, 'model.json')));
  const input = tf.tensor2d(x, [size, 64]);
  const output = loaded.predict(input) as tf.Tensor;
  const got = new Float32Array(await output.data());
  tf.dispose([input, output]);
  loaded.dispose();
  expect(got.length).toBe(size * 10);
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
  // The same classes, so the same accuracy, from the tfjs-loaded model.
  const argmax = (probs: Float32Array, n: number) =>
    probs.subarray(n * 10, n * 10 + 10).reduce((best, v, k, row) => (v > row[best]! ? k : best), 0);
  const tfjsCorrect = Array.from({ length: size }, (_, n) => argmax(got, n) === data.labels![n]).filter(Boolean).length;
  expect(tfjsCorrect / size).toBeGreaterThan(0.85);

  // Import the model.json back: the same spec and weights, bit for bit.
  const back = join(dir, 'back.safetensors');
  const imported = await runCli(['import', join(out, 'model.json'), '--out', back]);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toMatch(new RegExp(`^imported ${join(out, 'model.json')} → ${back} \\(3 layers, sha256 [0-9a-f]{12}…\\)\\n$`));
  const importedCkpt = await readCheckpoint(back);
  expect(importedCkpt.manifest.spec).toEqual(checkpoint.manifest.spec);
  for (const [name, tensor] of checkpoint.weights) expect(importedCkpt.weights.get(name)!.data, name).toEqual(tensor.data);
  expect(importedCkpt.manifest.provenance[0]).toMatchObject({ strategy: 'import', backend: 'tfjs' });

  // Evaluated, the imported model scores what `headstart evaluate` gives the original checkpoint. An
  // imported checkpoint has no label map or preprocessing (a tfjs model holds neither), so it is
  // evaluated with the original's.
  const evaluated = await runCli(['evaluate', '--model', ckpt, '--data', DIGITS, '--backend', 'tfjs', '--json']);
  expect(evaluated.code, evaluated.stderr).toBe(0);
  const original = JSON.parse(evaluated.stdout.trim().split('\n').pop()!) as { accuracy: number; loss: number };
  expect(original.accuracy).toBeGreaterThan(0.85);
  const reloaded = await backend.createModel(importedCkpt.manifest.spec, importedCkpt.weights);
  expect(data.labelMap).toEqual(checkpoint.manifest.labels);
  const result = await evaluateClassifier(reloaded, data, checkpoint.manifest.labels!);
  expect(result.accuracy).toBe(original.accuracy);
  expect(Math.abs(result.loss - original.loss)).toBeLessThan(1e-6);
  model.dispose();
  reloaded.dispose();
}, 120_000);

test('import takes a tfjs model directory too, and refuses a layer it cannot map naming its class and name', async () => {
  const out = join(dir, 'dir-model');
  expect((await runCli(['export', ckpt, '--format', 'tfjs', '--out', out])).code).toBe(0);
  const fromDir = await runCli(['import', out, '--out', join(dir, 'from-dir.safetensors')]);
  expect(fromDir.code, fromDir.stderr).toBe(0);
  expect((await readCheckpoint(join(dir, 'from-dir.safetensors'))).manifest.spec).toEqual((await readCheckpoint(ckpt)).manifest.spec);

  const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as {
    modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    userDefinedMetadata?: unknown | undefined;
  };
  delete json.userDefinedMetadata;
  json.modelTopology.config.layers.splice(1, 0, { class_name: 'GRU', config: { name: 'memory', units: 8 } });
  const bad = join(out, 'with-gru.json');
  await writeFile(bad, JSON.stringify(json));
  const refused = await runCli(['import', bad, '--out', join(dir, 'never.safetensors')]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe(
    `headstart: ${bad}: layer GRU "memory": layer class GRU cannot be mapped to a headstart layer; supported: Dense, Conv2D, DepthwiseConv2D, ZeroPadding2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, BatchNormalization, Dropout, Activation, ReLU, LeakyReLU, Softmax, Add, Concatenate, InputLayer\n`,
  );
}, 120_000);

test("import refuses weight shards longer than the model.json lists (another model's, or damaged), as it does short ones", async () => {
  const out = join(dir, 'long-shards');
  expect((await runCli(['export', ckpt, '--format', 'tfjs', '--out', out])).code).toBe(0);
  const weights = join(out, 'weights.bin');
  const bytes = await readFile(weights);
  await writeFile(weights, Buffer.concat([bytes, bytes]));
  const model = join(out, 'model.json');
  const refused = await runCli(['import', model, '--out', join(dir, 'never.safetensors')]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe(
    `headstart: ${model}: its shards (weights.bin) hold ${2 * bytes.length} bytes but the weights it lists take ${bytes.length}\n`,
  );
});

test('export and import --help show the tfjs examples', async () => {
  const exportHelp = await runCli(['export', '--help']);
  expect(exportHelp.stdout).toContain('$ headstart export digits.safetensors --format tfjs --out web-model');
  const importHelp = await runCli(['import', '--help']);
  expect(importHelp.stdout).toContain('$ headstart import web-model/model.json --out base.safetensors');
});
