import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { jsonLines, type CliRun } from './run-cli.js';
import { spawnCli } from './spawn-cli.js';

let dir: string;
let reviews: string;
let cache: string;
let first: CliRun;
let moved: CliRun;
let uncached: CliRun;
let dry: CliRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-token-cache-'));
  reviews = join(dir, 'reviews.csv');
  await writeTextCorpus(reviews, textCorpus(200, 17));
  cache = join(dir, 'cache');
  // Side by side: the first run of the cache, one that moves it with --token-cache, one without it.
  [first, moved, uncached, dry] = await Promise.all([
    train(join(dir, 'first.safetensors'), cache),
    train(join(dir, 'moved.safetensors'), join(dir, 'unused'), '--token-cache', join(dir, 'moved')),
    train(join(dir, 'none.safetensors'), join(dir, 'unused'), '--no-token-cache'),
    train(join(dir, 'dry.safetensors'), join(dir, 'dry'), '--dry-run'),
  ]);
  for (const run of [first, moved, uncached, dry]) expect(run.code, run.stderr).toBe(0);
});

/** `headstart train` on the reviews with the token cache in `cache` (HEADSTART_CACHE, as a user moves it). */
function train(out: string, cache: string, ...extra: string[]): Promise<CliRun> {
  const args = ['train', '--strategy', 'full-retrain', '--data', reviews, '--text-column', 'text', '--max-length', '12'];
  const quick = ['--backend', 'onnx', '--epochs', '1', '--checkpoint-every', '0', '--json', '--out', out, ...extra];
  return spawnCli([...args, ...quick], { cwd: dir, env: { HEADSTART_CACHE: cache } });
}

function cacheLogs(run: CliRun): string[] {
  return jsonLines(run.stdout).flatMap((e) => (e.type === 'log' && String(e.message).includes(reviews) ? [String(e.message)] : []));
}

async function expectSameWeights(a: string, b: string): Promise<void> {
  const [x, y] = [await readCheckpoint(join(dir, a)), await readCheckpoint(join(dir, b))];
  expect([...y.weights.keys()]).toEqual([...x.weights.keys()]);
  for (const [name, tensor] of x.weights)
    expect(Buffer.from(y.weights.get(name)!.data.buffer), name).toEqual(Buffer.from(tensor.data.buffer));
  expect(y.manifest.tokenizer).toEqual(x.manifest.tokenizer);
}

describe('the token cache of text runs (onnx)', () => {
  test('a second run reads the tokens the first cached under HEADSTART_CACHE/tokens, and trains bit-identical weights', async () => {
    const [entry, ...others] = await readdir(join(cache, 'tokens'));
    expect(others).toEqual([]);
    const file = join(cache, 'tokens', entry!);
    expect(cacheLogs(first)).toEqual([`${reviews} tokenised and cached in ${file}`]);
    const bytes = await readFile(file);

    const second = await train(join(dir, 'second.safetensors'), cache);
    expect(second.code, second.stderr).toBe(0);
    expect(cacheLogs(second)).toEqual([`tokens of ${reviews} read from the cache (${file})`]);
    expect(await readFile(file)).toEqual(bytes);
    await expectSameWeights('first.safetensors', 'second.safetensors');

    // A damaged entry is not trusted: tokenised again, the same weights train, and the entry is whole again.
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1000]! ^= 0xff;
    await writeFile(file, damaged);
    const rerun = await train(join(dir, 'rebuilt.safetensors'), cache);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(cacheLogs(rerun)).toEqual([`${reviews} tokenised and cached in ${file}`]);
    expect(await readFile(file)).toEqual(bytes);
    await expectSameWeights('first.safetensors', 'rebuilt.safetensors');
  });

  test('--token-cache DIR moves the cache; --no-token-cache reads and writes none', async () => {
    const [entry] = await readdir(join(dir, 'moved'));
    expect(cacheLogs(moved)).toEqual([`${reviews} tokenised and cached in ${join(dir, 'moved', entry!)}`]);
    expect(cacheLogs(uncached)).toEqual([]);
    expect(await readdir(join(dir, 'unused')).catch(() => [])).toEqual([]);
    await expectSameWeights('first.safetensors', 'none.safetensors');
  });

  test('--dry-run tokenises without writing the cache', async () => {
    expect(cacheLogs(dry)).toEqual([`${reviews} tokenised (not cached: this run writes nothing)`]);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });
});
