import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

let dir: string;
let trainCsv: string;
let testCsv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-e2e-'));
  // Hold out every fifth row: the digits rows are interleaved by class, so both files cover every digit.
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  await writeFile(trainCsv, `${[header, ...rows.filter((_, i) => i % 5 !== 0)].join('\n')}\n`);
  await writeFile(testCsv, `${[header, ...rows.filter((_, i) => i % 5 === 0)].join('\n')}\n`);
});

describe.each(['tfjs', 'onnx'])('headstart train → evaluate on the digits with --backend %s', (backend) => {
  test('full-retrain reaches at least 0.93 accuracy on the held-out rows', async () => {
    const out = join(dir, `m-${backend}.safetensors`);
    const trained = await runCli([
      'train',
      '--strategy',
      'full-retrain',
      '--backend',
      backend,
      '--data',
      trainCsv,
      '--scale',
      '16',
      '--epochs',
      '30',
      '--out',
      out,
      '--json',
    ]);
    expect(trained.code).toBe(0);
    // stdout is pure JSON; the one human line goes to stderr.
    expect(trained.stderr).toMatch(/^saved .*\.safetensors — loss [0-9.]+ accuracy [0-9.]+ valLoss [0-9.]+ valAccuracy [0-9.]+\n$/);
    const events = jsonLines(trained.stdout);
    expect(events[0]).toMatchObject({ type: 'run-start', strategy: 'full-retrain', backend });
    expect(events.filter((e) => e.type === 'epoch-end')).toHaveLength(30);
    expect(events.at(-1)).toMatchObject({ type: 'result', checkpoint: out });

    const evaluated = await runCli(['evaluate', '--model', out, '--data', testCsv, '--backend', backend, '--json']);
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(evaluated.stdout) as {
      accuracy: number;
      loss: number;
      perClass: Record<string, { count: number; accuracy: number }>;
    };
    expect(result.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(result.loss).toBeLessThan(0.3);
    expect(Object.keys(result.perClass)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Object.values(result.perClass).reduce((n, c) => n + c.count, 0)).toBe(360);

    const predicted = await runCli(['predict', '--model', out, '--data', testCsv]);
    expect(predicted.code).toBe(0);
    const lines = predicted.stdout.trim().split('\n');
    expect(lines[0]).toBe('index,label,probability');
    expect(lines).toHaveLength(361);

    const inspected = await runCli(['inspect', out, '--json']);
    const info = JSON.parse(inspected.stdout) as {
      manifest: { labels: number[]; preprocessing: unknown; provenance: { strategy: string; data: { sha256: string } }[] };
    };
    expect(info.manifest.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(info.manifest.preprocessing).toEqual({ kind: 'scale', factor: 16 });
    expect(info.manifest.provenance).toHaveLength(1);
    expect(info.manifest.provenance[0]).toMatchObject({ strategy: 'full-retrain', backend, data: { file: trainCsv } });
    expect(info.manifest.provenance[0]!.data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('bad usage and bad input exit 2 with one line', () => {
  test.each([
    [['train', '--strategy', 'nope', '--data', 'data/digits/digits.csv'], /^headstart: unknown strategy "nope"; available: .*full-retrain/],
    [['train', '--strategy', 'full-retrain', '--data', 'missing.csv'], /^headstart: missing\.csv: no such file or directory$/],
    [
      ['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--backend', 'tpu'],
      /^headstart: unknown backend "tpu"; available: onnx, tfjs$/,
    ],
    [
      ['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--epochs', 'many'],
      /^headstart: strategy full-retrain: option epochs: /,
    ],
    [
      ['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--input-shape', '8,x'],
      /^headstart: --input-shape: expected positive integers separated by commas \(like 8,8,1\), got "8,x"$/,
    ],
    [['train', '--data', 'data/digits/digits.csv'], /^headstart: required option '--strategy <name>' not specified$/],
    [['evaluate', '--model', 'nothing.safetensors', '--data', 'data/digits/digits.csv'], /^headstart: nothing\.safetensors: no such file/],
    [['frobnicate'], /^headstart: unknown command 'frobnicate'/],
  ])('headstart %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
  });

  test('a malformed CSV names the file, line and column', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'p0,p1,label\n1,2,0\n3,x,1\n');
    const run = await runCli(['train', '--strategy', 'full-retrain', '--data', bad, '--out', join(dir, 'bad.safetensors')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`headstart: ${bad}, line 3, column "p1": expected a number, found "x"\n`);
  });

  test('a label the model never saw is refused at evaluation', async () => {
    const out = join(dir, 'small.safetensors');
    const data = join(dir, 'small.csv');
    await writeFile(data, 'a,b,label\n0,1,cat\n1,0,dog\n0,1,cat\n1,0,dog\n');
    expect((await runCli(['train', '--strategy', 'full-retrain', '--data', data, '--epochs', '1', '--out', out])).code).toBe(0);
    const unseen = join(dir, 'unseen.csv');
    await writeFile(unseen, 'a,b,label\n0,1,cat\n1,1,bird\n');
    const run = await runCli(['evaluate', '--model', out, '--data', unseen]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^headstart: ${unseen.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, line 3.*"bird"`));
  });
});

describe('discovery and environment', () => {
  test('plugins --json lists the built-ins with their packages and versions', async () => {
    const run = await runCli(['plugins', '--json']);
    expect(run.code).toBe(0);
    const { plugins, errors } = JSON.parse(run.stdout) as { plugins: { kind: string; name: string; source: string }[]; errors: string[] };
    expect(errors).toEqual([]);
    expect(plugins).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'strategy', name: 'full-retrain', source: '@headstart/strategies' }),
        expect.objectContaining({ kind: 'backend', name: 'tfjs', source: '@headstart/backend-tfjs' }),
        expect.objectContaining({ kind: 'backend', name: 'onnx', source: '@headstart/backend-onnx' }),
      ]),
    );
  });

  test('doctor --json says which tfjs engine runs and why', async () => {
    const run = await runCli(['doctor', '--json']);
    expect(run.code).toBe(0);
    const { backends } = JSON.parse(run.stdout) as { backends: { name: string; available: boolean; engine: string; reasons: string[] }[] };
    const tfjs = backends.find((b) => b.name === 'tfjs')!;
    expect(tfjs.available).toBe(true);
    expect(tfjs.engine).toBe('wasm+cpu');
    expect(tfjs.reasons.join(' ')).toMatch(/tfjs-node is not installed/);
  });

  test('--help shows an example', async () => {
    const run = await runCli(['train', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Example:\n  $ headstart train --strategy full-retrain');
  });
});
