import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, initializeWeights, readCheckpoint, validateSpec, writeCheckpoint } from '@headstart/core';
import { tokenizeTexts } from '@headstart/data';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { executeOnTokens, loadGraphModelFile } from '../fixtures/tfjs-graph-model.js';
import { runCli } from './run-cli.js';

// Issue 18: a LoRA-merged text encoder exports to tfjs too, as a graph model (no Keras layer of tfjs-layers takes a
// padding mask), which tf.loadGraphModel runs by input name like `headstart predict` on the checkpoint.
let dir: string;
let adapter: string;
let merged: string;
let unseen: { text: string; label: string }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-tfjs-graph-'));
  const rows = textCorpus(160, 11);
  await writeTextCorpus(join(dir, 'reviews.csv'), rows.slice(0, 120));
  await writeTextCorpus(join(dir, 'few.csv'), textCorpus(40, 5));
  unseen = rows.slice(120);
  await writeTextCorpus(join(dir, 'unseen.jsonl'), unseen);
  const quick = ['--backend', 'onnx', '--epochs', '2', '--checkpoint-every', '0'];
  const base = await runCli(
    [
      'train',
      '--strategy',
      'full-retrain',
      '--data',
      'reviews.csv',
      '--text-column',
      'text',
      '--max-length',
      '16',
      ...quick,
      '--out',
      'base.safetensors',
    ],
    { cwd: dir },
  );
  expect(base.code, base.stderr).toBe(0);
  adapter = join(dir, 'adapter.safetensors');
  const lora = await runCli(
    [
      'train',
      '--strategy',
      'lora',
      '--from',
      'base.safetensors',
      '--data',
      'few.csv',
      ...quick,
      '--set',
      'target=*.q,*.v,rank=4,alpha=8',
      '--out',
      adapter,
    ],
    { cwd: dir },
  );
  expect(lora.code, lora.stderr).toBe(0);
  merged = join(dir, 'merged.safetensors');
  const merge = await runCli(['merge', adapter, '--out', merged]);
  expect(merge.code, merge.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `[label, probability]` of each unseen review, as `predict` writes them on `backend`. */
async function predictions(backend: string): Promise<[string, number][]> {
  const out = join(dir, `predictions-${backend}.jsonl`);
  const run = await runCli(['predict', '--model', merged, '--data', join(dir, 'unseen.jsonl'), '--backend', backend, '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  return (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { label: string; probability: number })
    .map((p) => [p.label, p.probability]);
}

/** What the exported graph model gives on the unseen reviews, tokenised by the checkpoint's tokenizer: `[label, probability]` each. */
async function graphPredictions(modelJson: string): Promise<[string, number][]> {
  const { manifest } = await readCheckpoint(merged);
  const tokens = tokenizeTexts(
    unseen.map((row) => row.text),
    manifest.tokenizer!,
    merged,
  );
  const model = await loadGraphModelFile(modelJson);
  const probabilities = await executeOnTokens(model, tokens.inputIds, tokens.attentionMask, tokens.size);
  model.dispose();
  const classes = manifest.labels!.length;
  expect(probabilities.length).toBe(unseen.length * classes);
  return unseen.map((_, i) => {
    const row = Array.from(probabilities.subarray(i * classes, (i + 1) * classes));
    const best = row.indexOf(Math.max(...row));
    return [String(manifest.labels![best]), row[best]!];
  });
}

function largestGap(a: [string, number][], b: [string, number][]): number {
  expect(a.map(([label]) => label)).toEqual(b.map(([label]) => label));
  return Math.max(...a.map(([, p], i) => Math.abs(p - b[i]![1])));
}

describe('headstart export --format tfjs of a text encoder', () => {
  test('a LoRA-merged encoder is written as a graph model that tf.loadGraphModel runs like predict on onnx and tfjs (≤ 1e-5)', async () => {
    const out = join(dir, 'web-model');
    const exported = await runCli(['export', merged, '--format', 'tfjs', '--out', out]);
    expect([exported.code, exported.stdout, exported.stderr]).toEqual([
      0,
      `exported ${merged} → ${out} (tfjs graph model; load it with tf.loadGraphModel)\n`,
      '',
    ]);
    expect((await readdir(out)).sort()).toEqual(['model.json', 'weights.bin']);
    expect(JSON.parse(await readFile(join(out, 'model.json'), 'utf8')).format).toBe('graph-model');
    const [graph, onnx, tfjs] = await Promise.all([graphPredictions(join(out, 'model.json')), predictions('onnx'), predictions('tfjs')]);
    expect(largestGap(graph, onnx)).toBeLessThan(1e-5);
    expect(largestGap(graph, tfjs)).toBeLessThan(1e-5);
  });

  test('the adapter checkpoint itself (read with its base) exports to the same function as its merge (≤ 1e-5)', async () => {
    const fromAdapter = join(dir, 'adapter-model.json');
    const run = await runCli(['export', adapter, '--format', 'tfjs', '--out', fromAdapter]);
    expect(run.code, run.stderr).toBe(0);
    const fromMerge = join(dir, 'web-model', 'model.json');
    expect(largestGap(await graphPredictions(fromAdapter), await graphPredictions(fromMerge))).toBeLessThan(1e-5);
  });

  test('importing the graph model back is refused in one line naming the format; nothing is written', async () => {
    const out = join(dir, 'web-model');
    const back = join(dir, 'back.safetensors');
    const run = await runCli(['import', out, '--out', back]);
    expect([run.code, run.stdout, run.stderr]).toEqual([
      2,
      '',
      `headstart: ${join(out, 'model.json')}: a tfjs graph model (format "graph-model", as tensorflowjs_converter and headstart's export of text models write it) cannot be imported back: it holds ops, not layers to map; import the checkpoint or ONNX file it was made from, or a tfjs layers model\n`,
    ]);
    expect(existsSync(back)).toBe(false);
  });

  test('a layer type the graph model has no ops for is refused in one line naming the layer and type; nothing is written', async () => {
    const spec = validateSpec({
      inputs: [{ name: 'input_ids', shape: [6], dtype: 'int32' }],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 20, units: 8 },
        { type: 'sequencePool', name: 'pool', mode: 'mean' },
        { type: 'batchNorm', name: 'bn' },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    });
    const ckpt = join(dir, 'batch-norm.safetensors');
    await writeCheckpoint(ckpt, {
      manifest: { spec, preprocessing: { kind: 'none' }, provenance: [] },
      weights: initializeWeights(spec, createRng(1)),
    });
    const out = join(dir, 'refused');
    const run = await runCli(['export', ckpt, '--format', 'tfjs', '--out', out]);
    expect([run.code, run.stdout, run.stderr]).toEqual([
      2,
      '',
      'headstart: layer "bn": type batchNorm: the tfjs graph-model export (for models with named inputs or sequence layers) has no ops for it yet; export with --format onnx\n',
    ]);
    expect(existsSync(out)).toBe(false);
  });
});
