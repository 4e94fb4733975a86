import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, readManifest } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { jsonLines, runCli } from './run-cli.js';

// Issue 18 item 6: LoRA on the query and value projections inside the attention layers of a text encoder (PEFT's
// default for DistilBERT, target_modules=["q_lin", "v_lin"]): a default encoder trained on 300 reviews, adapted with
// 40 other labelled reviews, tested on 100 unseen ones.
let dir: string;
let base: string;
let adapter: string;
let few: string;
let unseen: string;

const TARGETS = ['attn1.q', 'attn1.v', 'attn2.q', 'attn2.v'];
const ADAPTED_KERNELS = ['attn1.qKernel', 'attn1.vKernel', 'attn2.qKernel', 'attn2.vKernel'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-lora-attention-'));
  const rows = textCorpus(400, 11);
  const reviews = join(dir, 'reviews.csv');
  await writeTextCorpus(reviews, rows.slice(0, 300));
  unseen = join(dir, 'unseen.jsonl');
  await writeTextCorpus(unseen, rows.slice(300));
  few = join(dir, 'few.csv');
  await writeTextCorpus(few, textCorpus(40, 5));
  base = join(dir, 'base.safetensors');
  const quick = ['--backend', 'onnx', '--max-length', '16', '--epochs', '6', '--checkpoint-every', '0'];
  const trained = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    reviews,
    '--text-column',
    'text',
    ...quick,
    '--out',
    base,
  ]);
  expect(trained.code, trained.stderr).toBe(0);
  adapter = join(dir, 'adapter.safetensors');
  const run = await runCli([
    'train',
    '--strategy',
    'lora',
    '--from',
    base,
    '--data',
    few,
    '--backend',
    'onnx',
    '--epochs',
    '60',
    '--set',
    'target=*.q,*.v,rank=4,alpha=8',
    '--out',
    adapter,
    '--json',
  ]);
  expect(run.code, run.stderr).toBe(0);
  const log = jsonLines(run.stdout).find((e) => e.type === 'log' && String(e.message).startsWith('lora: rank'));
  // Four adapters of 2·64·4 numbers each (width 64, rank 4) and the head's 64·2 + 2: 2178 numbers train.
  expect(log?.message).toMatch(/^lora: rank 4, alpha 8 on attn1\.q, attn1\.v, attn2\.q, attn2\.v; 2178 of \d+ parameters train/);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `[label, probability]` of each unseen review, as `predict` writes them. */
async function predictions(model: string, backend: string): Promise<[string, number][]> {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  const predicted = await runCli(['predict', '--model', model, '--data', unseen, '--backend', backend, '--out', out]);
  expect(predicted.code, predicted.stderr).toBe(0);
  return (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { label: string; probability: number })
    .map((p) => [p.label, p.probability]);
}

function largestGap(a: [string, number][], b: [string, number][]): number {
  expect(a.map(([label]) => label)).toEqual(b.map(([label]) => label));
  return Math.max(...a.map(([, p], i) => Math.abs(p - b[i]![1])));
}

describe('headstart train --strategy lora on attention projections (--set target=*.q,*.v)', () => {
  test('saves only the q and v adapters inside each attention layer and the head, its base named by sha-256', async () => {
    const { manifest, tensors } = await readManifest(adapter);
    expect(manifest.adapter).toEqual({
      kind: 'lora',
      base: { file: 'base.safetensors', sha256: (await readCheckpoint(base)).sha256 },
      rank: 4,
      alpha: 8,
      targets: TARGETS,
    });
    expect(tensors.map((t) => t.name).sort()).toEqual(
      [...TARGETS.flatMap((t) => [`${t}LoraA`, `${t}LoraB`]), 'head.kernel', 'head.bias'].sort(),
    );
    expect(manifest.spec.layers.find((l) => l.name === 'attn1')).toMatchObject({ lora: { rank: 4, alpha: 8, projections: ['q', 'v'] } });
  });

  test('reaches the accuracy of the text encoder it adapts (≥ 0.9 on 100 unseen reviews), reading its base', async () => {
    const evaluated = await runCli(['evaluate', '--model', adapter, '--data', unseen, '--backend', 'onnx', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBeGreaterThanOrEqual(0.9);
  });

  test('merge folds the adapters into the q and v kernels: the base spec, every other base tensor bit-identical, the predictions within 1e-5', async () => {
    const merged = join(dir, 'merged.safetensors');
    const run = await runCli(['merge', adapter, '--out', merged]);
    expect(run.code, run.stderr).toBe(0);
    const [before, after] = [await readCheckpoint(base), await readCheckpoint(merged)];
    expect(after.manifest.adapter).toBeUndefined();
    expect(after.manifest.spec).toEqual(before.manifest.spec);
    for (const [name, tensor] of before.weights) {
      if (name.startsWith('head.')) continue;
      if (ADAPTED_KERNELS.includes(name)) expect(after.weights.get(name)!.data, name).not.toEqual(tensor.data);
      else expect(after.weights.get(name)!.data, name).toEqual(tensor.data);
    }
    // Side by side: three processes reading the files.
    const [a, b, exported] = await Promise.all([
      predictions(adapter, 'onnx'),
      predictions(merged, 'onnx'),
      runCli(['export', merged, '--format', 'onnx', '--out', join(dir, 'merged.onnx')]),
    ]);
    expect(largestGap(a, b)).toBeLessThan(1e-5);
    expect(exported.code, exported.stderr).toBe(0);
  });

  test('trains on tfjs too, and its merge predicts on onnx what the adapter predicts on tfjs (within 1e-5)', async () => {
    const out = join(dir, 'tfjs.safetensors');
    const trained = await runCli([
      'train',
      '--strategy',
      'lora',
      '--backend',
      'tfjs',
      '--from',
      base,
      '--data',
      few,
      '--epochs',
      '2',
      '--set',
      'target=attn*.v,attn2.out',
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect((await readManifest(out)).manifest.adapter?.targets).toEqual(['attn1.v', 'attn2.v', 'attn2.out']);
    const merged = join(dir, 'tfjs-merged.safetensors');
    expect((await runCli(['merge', out, '--out', merged])).code).toBe(0);
    const [a, b] = await Promise.all([predictions(out, 'tfjs'), predictions(merged, 'onnx')]);
    expect(largestGap(a, b)).toBeLessThan(1e-5);
  });

  test('a target naming no layer or projection is refused in one line listing what it could name; nothing is written', async () => {
    const out = join(dir, 'refused.safetensors');
    const run = await runCli(['train', '--strategy', 'lora', '--from', base, '--data', few, '--set', 'target=*.z', '--out', out]);
    expect([run.code, run.stderr]).toEqual([
      2,
      'headstart: strategy lora: option target: "*.z" names no dense or conv2d layer or attention projection below the head; they are attn1.q, attn1.k, attn1.v, attn1.out, ff1a, ff1b, attn2.q, attn2.k, attn2.v, attn2.out, ff2a, ff2b\n',
    ]);
    await expect(stat(out)).rejects.toThrow();
  });
});
