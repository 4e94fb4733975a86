import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, readManifest } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// Issue 18 item 6: LoRA on the digits transfer task — an MLP trained on 0-4 by `headstart train`, adapted to 5-9
// with 10 labels a class, tested on the rest of 5-9.
let dir: string;
let base: string;
let adapter: string;
let few: string;
let test59: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-lora-'));
  const [header, ...rows] = (await readFile(join(ROOT, 'data', 'digits', 'digits.csv'), 'utf8')).trim().split('\n');
  const label = header!.split(',').indexOf('label');
  const classOf = (row: string) => Number(row.split(',')[label]);
  const taken = new Map<number, number>();
  const isFew = rows.map(
    (row) => classOf(row) >= 5 && (taken.set(classOf(row), (taken.get(classOf(row)) ?? 0) + 1).get(classOf(row)) ?? 0) <= 10,
  );
  const write = async (name: string, keep: (row: string, i: number) => boolean) => {
    await writeFile(join(dir, name), `${[header, ...rows.filter(keep)].join('\n')}\n`);
    return join(dir, name);
  };
  const source = await write('source.csv', (row) => classOf(row) < 5);
  few = await write('few.csv', (_, i) => isFew[i]!);
  test59 = await write('test.csv', (row, i) => classOf(row) >= 5 && !isFew[i]);
  base = join(dir, 'base.safetensors');
  const pretrained = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    source,
    '--scale',
    '16',
    '--epochs',
    '10',
    '--out',
    base,
  ]);
  expect(pretrained.code).toBe(0);
  adapter = join(dir, 'adapter.safetensors');
  const trained = await runCli(['train', '--strategy', 'lora', '--from', base, '--data', few, '--out', adapter, '--json']);
  expect(trained.code, trained.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function accuracy(model: string, ...more: string[]): Promise<number> {
  const evaluated = await runCli(['evaluate', '--model', model, '--data', test59, '--json', ...more]);
  expect(evaluated.code, evaluated.stderr).toBe(0);
  return (JSON.parse(evaluated.stdout) as { accuracy: number }).accuracy;
}

async function predictions(model: string): Promise<number[][]> {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  const predicted = await runCli(['predict', '--model', model, '--data', test59, '--out', out]);
  expect(predicted.code, predicted.stderr).toBe(0);
  const lines = (await readFile(out, 'utf8')).trim().split('\n');
  return lines.map((line) => Object.values(JSON.parse(line) as Record<string, unknown>).filter((v): v is number => typeof v === 'number'));
}

describe('headstart train --strategy lora', () => {
  test('saves an adapter-only checkpoint: adapters and the head, the base named by sha-256, rank, alpha and targets', async () => {
    const baseFile = await readCheckpoint(base);
    const { manifest, tensors } = await readManifest(adapter);
    expect(manifest.adapter).toEqual({
      kind: 'lora',
      base: { file: 'base.safetensors', sha256: baseFile.sha256 },
      rank: 8,
      alpha: 16,
      targets: ['enc1', 'enc2'],
    });
    expect(tensors.map((t) => t.name).sort()).toEqual(
      [
        'enc1__lora_a.kernel',
        'enc1__lora_scale.kernel',
        'enc1__lora_b.kernel',
        'enc2__lora_a.kernel',
        'enc2__lora_scale.kernel',
        'enc2__lora_b.kernel',
        'head.kernel',
        'head.bias',
      ].sort(),
    );
    expect((await stat(adapter)).size).toBeLessThan((await stat(base)).size / 2);
    const inspected = await runCli(['inspect', adapter]);
    expect(inspected.stdout).toContain(
      `adapter: LoRA rank 8, alpha 16 on enc1, enc2; only these tensors are in the file, the rest are read from the base ${base} (sha256 ${baseFile.sha256.slice(0, 12)}…)\n`,
    );
  });

  test('records its base relative to its own folder, so it is read from any working directory', async () => {
    const moved = join(dir, 'sub', 'adapter.safetensors');
    const trained = await runCli(
      ['train', '--strategy', 'lora', '--from', 'base.safetensors', '--data', 'few.csv', '--out', 'sub/adapter.safetensors'],
      { cwd: dir },
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect((await readManifest(moved)).manifest.adapter?.base.file).toBe(join('..', 'base.safetensors'));
    expect(await accuracy(moved)).toBe(await accuracy(adapter));
  });

  test('reaches a real accuracy on the held-out 5-9 digits, loading its base for evaluate', async () => {
    expect(await accuracy(adapter)).toBeGreaterThan(0.75);
  });

  test('merge folds the adapters into a plain checkpoint with the original spec whose predictions equal the adapter model’s within 1e-5', async () => {
    const merged = join(dir, 'merged.safetensors');
    const run = await runCli(['merge', adapter, '--base', base, '--out', merged]);
    expect(run.code, run.stderr).toBe(0);
    const plain = await readCheckpoint(merged);
    expect(plain.manifest.adapter).toBeUndefined();
    expect(plain.manifest.spec.layers.map((l) => l.name)).toEqual(['enc1', 'enc2', 'head']);
    const [a, b] = [await predictions(adapter), await predictions(merged)];
    expect(a.length).toBe(846);
    const gap = Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
    expect(gap).toBeLessThan(1e-5);
    const onnx = await runCli(['export', merged, '--format', 'onnx', '--out', join(dir, 'merged.onnx')]);
    expect(onnx.code, onnx.stderr).toBe(0);
  });

  test('a base whose sha-256 differs is refused in one line, and nothing is written', async () => {
    const other = join(dir, 'other.safetensors');
    const bytes = await readFile(base);
    const trained = await runCli(['train', '--strategy', 'full-retrain', '--data', few, '--scale', '16', '--epochs', '1', '--out', other]);
    expect(trained.code).toBe(0);
    const sha = (await readCheckpoint(other)).sha256;
    const out = join(dir, 'wrong.safetensors');
    const run = await runCli(['merge', adapter, '--base', other, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: --base ${other}: sha-256 ${sha.slice(0, 12)}… is not the base the adapter ${adapter} was trained on (${(await readCheckpoint(base)).sha256.slice(0, 12)}…)\n`,
    );
    await expect(stat(out)).rejects.toThrow();
    expect(await readFile(base)).toEqual(bytes);
  });

  test('merge refuses to write over the base the adapter records, in one line, leaving it as it was', async () => {
    const bytes = await readFile(base);
    const run = await runCli(['merge', adapter, '--out', base]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('the base the adapter records');
    expect(await readFile(base)).toEqual(bytes);
  });

  test('train refuses to write over the base a --from adapter records, in one line, leaving it as it was', async () => {
    const bytes = await readFile(base);
    const run = await runCli(['train', '--strategy', 'continued', '--from', adapter, '--data', few, '--epochs', '1', '--out', base]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('the base the --from adapter records');
    expect(await readFile(base)).toEqual(bytes);
  });

  test('export and predict refuse to write over the base the adapter records, in one line, leaving it as it was', async () => {
    const bytes = await readFile(base);
    const runs = await Promise.all([
      runCli(['export', adapter, '--format', 'onnx', '--out', base]),
      runCli(['predict', '--model', adapter, '--data', few, '--out', base]),
    ]);
    expect(runs.map((run) => [run.code, run.stderr])).toEqual([
      [
        2,
        `headstart: --out ${base} is the same file as the base the adapter records ${base}; writing it would destroy the input: choose another --out\n`,
      ],
      [
        2,
        `headstart: --out ${base} is the same file as the base the --model adapter records ${base}; writing it would destroy the input: choose another --out\n`,
      ],
    ]);
    expect(await readFile(base)).toEqual(bytes);
  });

  test('lora --from an adapter is refused before training, in one line saying to merge it first', async () => {
    const out = join(dir, 'stacked.safetensors');
    const run = await runCli(['train', '--strategy', 'lora', '--from', adapter, '--data', few, '--set', 'target=enc1', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: strategy lora: --from ${adapter} is a LoRA adapter; merge it into its base first (headstart merge ${adapter} --out merged.safetensors) and start from that\n`,
    );
    await expect(stat(out)).rejects.toThrow();
  });

  test('a head with batch norm: the adapter file keeps the statistics it trained, so it evaluates as it trained', async () => {
    const spec = join(dir, 'bn-head.json');
    await writeFile(
      spec,
      JSON.stringify({
        inputShape: [64],
        layers: [
          { type: 'dense', name: 'enc1', units: 32, activation: 'relu' },
          { type: 'dense', name: 'enc2', units: 32, activation: 'linear' },
          { type: 'batchNorm', name: 'hbn' },
          { type: 'dense', name: 'head', units: 5, activation: 'softmax' },
        ],
      }),
    );
    const bnBase = join(dir, 'bn-base.safetensors');
    const source = join(dir, 'source.csv');
    const made = await runCli([
      'train',
      '--strategy',
      'full-retrain',
      '--model',
      spec,
      '--data',
      source,
      '--scale',
      '16',
      '--epochs',
      '2',
      '--out',
      bnBase,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const bnAdapter = join(dir, 'bn-adapter.safetensors');
    const trained = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      bnBase,
      '--head',
      'hbn',
      '--data',
      few,
      '--epochs',
      '3',
      '--out',
      bnAdapter,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const { tensors } = await readManifest(bnAdapter);
    const names = tensors.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['hbn.movingMean', 'hbn.movingVariance']));
    const moved = (await readCheckpoint(bnAdapter)).weights.get('hbn.movingMean')!.data;
    expect([...moved]).not.toEqual([...(await readCheckpoint(bnBase)).weights.get('hbn.movingMean')!.data]);
  });

  test('a model file that is not a checkpoint is refused before training, in one line', async () => {
    const onnx = join(ROOT, 'tests', 'fixtures', 'torch', 'mini-resnet.bn.opset17.onnx');
    const run = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      onnx,
      '--data',
      few,
      '--out',
      join(dir, 'x.safetensors'),
      '--scale',
      '16',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: strategy lora: --from ${onnx}: an adapter names its base by a checkpoint's sha-256; import it first (headstart import ${onnx} --out base.safetensors)\n`,
    );
  });

  test('a target naming no layer is refused in one line naming the option', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      base,
      '--data',
      few,
      '--set',
      'target=enc9*',
      '--out',
      join(dir, 'x.safetensors'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'headstart: strategy lora: option target: "enc9*" names no dense or conv2d layer or attention projection below the head; they are enc1, enc2\n',
    );
  });

  test('a bad rank is refused in one line naming the option', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      base,
      '--data',
      few,
      '--set',
      'rank=0',
      '--out',
      join(dir, 'x.safetensors'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^headstart: strategy lora: option rank: /);
  });

  test('--dry-run lists what trains', async () => {
    const run = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      base,
      '--data',
      few,
      '--set',
      'target=enc2,rank=4',
      '--dry-run',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const log = jsonLines(run.stdout).find((e) => e.type === 'log' && String(e.message).startsWith('lora: rank'));
    expect(log?.message).toMatch(/^lora: rank 4, alpha 16 on enc2; 1093 of \d+ parameters train/);
  });

  test('on a ResNet imported from PyTorch: adapters on convs, batch norm frozen, merge keeps every base tensor but the targets’ kernels', async () => {
    const resnet = join(dir, 'resnet.safetensors');
    const imported = await runCli([
      'import',
      join(ROOT, 'tests', 'fixtures', 'torch', 'mini-resnet.bn.opset17.onnx'),
      '--out',
      resnet,
      '--labels',
      '0,1,2,3,4',
      '--scale',
      '16',
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const out = join(dir, 'resnet-lora.safetensors');
    const trained = await runCli([
      'train',
      '--strategy',
      'lora',
      '--from',
      resnet,
      '--data',
      few,
      '--epochs',
      '3',
      '--set',
      'target=layer3_*,rank=2',
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const merged = join(dir, 'resnet-merged.safetensors');
    expect((await runCli(['merge', out, '--out', merged])).code).toBe(0);
    const [before, after] = [await readCheckpoint(resnet), await readCheckpoint(merged)];
    const targets = ['layer3_0_conv1.kernel', 'layer3_0_conv2.kernel', 'layer3_0_downsample_0.kernel'];
    for (const [name, tensor] of before.weights) {
      if (name.startsWith('fc.')) continue;
      if (targets.includes(name)) expect(after.weights.get(name)!.data, name).not.toEqual(tensor.data);
      else expect(after.weights.get(name)!.data, name).toEqual(tensor.data);
    }
    const [a, b] = [await predictions(out), await predictions(merged)];
    expect(Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))))).toBeLessThan(1e-5);
  });

  test('trains and loads on tfjs too (1 epoch)', async () => {
    const out = join(dir, 'tfjs-lora.safetensors');
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
      '1',
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect((await readManifest(out)).manifest.adapter?.targets).toEqual(['enc1', 'enc2']);
    expect(await accuracy(out, '--backend', 'tfjs')).toBeGreaterThan(0.1);
  });
});
