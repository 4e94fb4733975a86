import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { fuzzCheckpoint, sampleOf, type FuzzedCheckpoint } from '../../packages/core/src/checkpoint/__fixtures__/checkpoint-fuzz.js';
import { runCli, type CliRun } from './run-cli.js';

// The core suite reads every corruption (packages/core/src/checkpoint/checkpoint-fuzz.test.ts);
// this one runs a sample of them through the real binary, which adds the error mapping and exit code.
const PER_KIND = 2;
const SEED = 7;
// A failing run takes about half a second; ten seconds means it hangs.
const TIMEOUT_MS = 10_000;
// The machine has two cores.
const CONCURRENCY = 2;

let dir: string;
let data: string;
let sample: (FuzzedCheckpoint & { file: string })[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-cli-fuzz-'));
  data = join(dir, 'small.csv');
  await writeFile(data, 'a,b,label\n0,1,cat\n1,0,dog\n0,1,cat\n1,0,dog\n');
  const good = join(dir, 'good.safetensors');
  const trained = await runCli(['train', '--strategy', 'full-retrain', '--data', data, '--epochs', '1', '--val-split', '0', '--out', good]);
  expect(trained.code, trained.stderr).toBe(0);
  const all = fuzzCheckpoint(await readFile(good), SEED);
  const kinds = [...new Set(all.map((c) => c.kind))];
  const picked = kinds.flatMap((kind) =>
    sampleOf(
      all.filter((c) => c.kind === kind),
      PER_KIND,
      SEED,
    ),
  );
  sample = await Promise.all(
    picked.map(async (c, i) => {
      const file = join(dir, `fuzz-${i}.safetensors`);
      await writeFile(file, c.bytes);
      return { ...c, file };
    }),
  );
});

/** Run `fn` over `items`, at most `limit` at a time, keeping their order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Why a run breaks the bad-input contract (exit 2, one line naming the file, no stack, no hang), or undefined. */
function problemWith(run: CliRun, file: string): string | undefined {
  if (run.signal) return `killed by ${run.signal} (hung for ${TIMEOUT_MS} ms?)`;
  if (run.code !== 2) return `exit ${run.code}: ${run.stderr}`;
  if (/^\s+at /m.test(run.stderr)) return `stack trace: ${run.stderr}`;
  const lines = run.stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '') return `${lines.length - 1} lines on stderr: ${JSON.stringify(run.stderr)}`;
  if (!lines[0]!.startsWith(`headstart: ${file}: `)) return `does not name the file: ${lines[0]}`;
  if (run.stdout !== '') return `wrote to stdout: ${run.stdout.slice(0, 200)}`;
  return undefined;
}

describe('corrupted checkpoints through the CLI', () => {
  test('the sample covers every kind of damage', () => {
    expect(sample.length).toBeGreaterThanOrEqual(20);
    expect(new Set(sample.map((c) => c.kind)).size).toBe(10);
  });

  test('headstart inspect: exit 2, one line naming the file, no stack trace, no hang (damaged tensor data is not its to see)', async () => {
    const failures = await mapLimit(sample, CONCURRENCY, async ({ name, kind, file }) => {
      const run = await runCli(['inspect', file], { timeoutMs: TIMEOUT_MS });
      // inspect reads the header only, so a flipped data byte lists fine; evaluate catches it below.
      const problem =
        kind === 'tensor data flipped' ? (run.code === 0 ? undefined : `exit ${run.code}: ${run.stderr}`) : problemWith(run, file);
      return problem && `${name}: ${problem}`;
    });
    expect(failures.filter(Boolean)).toEqual([]);
  });

  test('headstart evaluate: exit 2, one line naming the file, no stack trace, no hang', async () => {
    const failures = await mapLimit(sample, CONCURRENCY, async ({ name, file }) => {
      const problem = problemWith(await runCli(['evaluate', '--model', file, '--data', data], { timeoutMs: TIMEOUT_MS }), file);
      return problem && `${name}: ${problem}`;
    });
    expect(failures.filter(Boolean)).toEqual([]);
  });
});
