import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { jsonLines, runCli, type CliRun } from './run-cli.js';

let dir: string;
let reviews: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-text-lr-pipeline-'));
  reviews = join(dir, 'reviews.csv');
  await writeTextCorpus(reviews, textCorpus(200, 23));
});

function events(run: CliRun, type: string): Record<string, unknown>[] {
  return jsonLines(run.stdout).filter((e) => e.type === type);
}

describe('text in lr-find and pipelines (onnx)', () => {
  test('lr-find on text tokenises as train does and prints a suggested rate; it reads the token cache but writes nothing', async () => {
    const cache = join(dir, 'lr-find-cache');
    const run = await runCli([
      'lr-find',
      '--strategy',
      'full-retrain',
      '--data',
      reviews,
      '--text-column',
      'text',
      '--max-length',
      '12',
      '--steps',
      '20',
      '--token-cache',
      cache,
      '--backend',
      'onnx',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [result] = events(run, 'result') as { lr: number; phase: string; points: unknown[] }[];
    expect(result!.lr).toBeGreaterThan(0);
    expect(result!.points.length).toBeGreaterThan(0);
    // The report for people goes to stderr beside the JSON lines.
    expect(run.stderr.split('\n')).toContain(`suggested lr: ${result!.lr}`);
    const logs = events(run, 'log').map((e) => String(e.message));
    expect(logs).toContain(`${reviews} tokenised (not cached: this run writes nothing)`);
    expect(existsSync(cache)).toBe(false);
    // A train run fills the cache; lr-find then reads its tokens.
    const args = ['--data', reviews, '--text-column', 'text', '--max-length', '12', '--token-cache', cache, '--backend', 'onnx', '--json'];
    const train = await runCli(['train', '--strategy', 'full-retrain', ...args, '--epochs', '1', '--out', join(dir, 'cached.safetensors')]);
    expect(train.code, train.stderr).toBe(0);
    const again = await runCli(['lr-find', '--strategy', 'full-retrain', ...args, '--steps', '20']);
    expect(again.code, again.stderr).toBe(0);
    expect(events(again, 'log').map((e) => String(e.message))).toContainEqual(
      expect.stringMatching(`^tokens of ${reviews} read from the cache`),
    );
    expect(events(again, 'result')).toEqual(events(run, 'result'));
  });

  test('a pipeline stage with a text column trains as headstart train does; the next stage starts from it with its tokenizer', async () => {
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `out: out
seed: 7
stages:
  - { name: text, strategy: full-retrain, data: ${reviews}, textColumn: text, maxLength: 12, valSplit: 0.2, options: { epochs: 2 } }
  - { name: tune, strategy: continued, data: ${reviews}, options: { epochs: 1 } }
`,
    );
    const refused = join(dir, 'refused.yaml');
    await writeFile(refused, `stages:\n  - { name: nums, strategy: full-retrain, data: ${reviews}, maxLength: 12 }\n`);
    const trainFlags = ['--text-column', 'text', '--max-length', '12', '--val-split', '0.2', '--epochs', '2', '--seed', '7'];
    const [pipeline, alone, refusal] = await Promise.all([
      runCli(['run', file, '--token-cache', join(dir, 'pipeline-cache'), '--json'], { cwd: dir }),
      runCli([
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        reviews,
        ...trainFlags,
        '--backend',
        'onnx',
        '--out',
        join(dir, 'alone.safetensors'),
      ]),
      runCli(['run', refused, '--json'], { cwd: dir }),
    ]);
    expect(pipeline.code, pipeline.stderr).toBe(0);
    expect(alone.code, alone.stderr).toBe(0);
    expect(events(pipeline, 'stage-end').map((e) => e.name)).toEqual(['text', 'tune']);
    // Both stages tokenise the same file with the same tokenizer and length: the second reads what the first cached.
    const [entry, ...others] = await readdir(join(dir, 'pipeline-cache'));
    expect(others).toEqual([]);
    const cached = join(dir, 'pipeline-cache', entry!);
    expect(events(pipeline, 'log').flatMap((e) => (String(e.message).includes(reviews) ? [e.message] : []))).toEqual([
      `${reviews} tokenised and cached in ${cached}`,
      `tokens of ${reviews} read from the cache (${cached})`,
    ]);
    const [text, tune, single] = await Promise.all(
      [join(dir, 'out', '1-text.safetensors'), join(dir, 'out', '2-tune.safetensors'), join(dir, 'alone.safetensors')].map((f) =>
        readCheckpoint(f),
      ),
    );
    expect(text!.manifest.tokenizer).toMatchObject({ kind: 'tokenizer', maxLength: 12, textColumn: 'text' });
    expect(tune!.manifest.tokenizer).toEqual(text!.manifest.tokenizer);
    expect(single!.manifest.tokenizer).toEqual(text!.manifest.tokenizer);
    for (const [name, tensor] of single!.weights)
      expect(Buffer.from(text!.weights.get(name)!.data.buffer), name).toEqual(Buffer.from(tensor.data.buffer));
    expect([refusal.code, refusal.stderr]).toEqual([
      2,
      `headstart: ${refused}: stages[0] "nums": maxLength: only for text data; give the stage a textColumn (the column holding the text)\n`,
    ]);
  });
});
