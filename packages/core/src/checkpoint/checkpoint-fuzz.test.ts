import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { CheckpointError } from '../errors.js';
import { fuzzCheckpoint, type FuzzedCheckpoint } from './__fixtures__/checkpoint-fuzz.js';
import { smallContent } from './__fixtures__/small-checkpoint.js';
import { readCheckpoint, readManifest, writeCheckpoint } from './checkpoint-file.js';

// A read of these small files takes milliseconds; seconds would mean a loop over a lied-about size.
const TIME_LIMIT_MS = 2000;

let dir: string;
let good: Buffer;
let cases: FuzzedCheckpoint[];
const allocations: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-fuzz-'));
  const file = join(dir, 'good.safetensors');
  await writeCheckpoint(file, smallContent());
  good = await readFile(file);
  cases = fuzzCheckpoint(good, 2024);
  // Record every Buffer allocation, to show no reader allocates what a header claims.
  for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[method].bind(Buffer) as (...args: unknown[]) => Buffer;
    vi.spyOn(Buffer, method).mockImplementation(((size: number, ...rest: unknown[]) => {
      allocations.push(size);
      return original(size, ...rest);
    }) as never);
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** How a read ended: the error it threw (or undefined), how long it took, and its largest Buffer allocation. */
async function attempt(read: () => Promise<unknown>): Promise<{ error: unknown; ms: number; largest: number }> {
  allocations.length = 0;
  const started = performance.now();
  const error = await read().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started, largest: Math.max(0, ...allocations) };
}

/** Why a read's outcome breaks the contract, or undefined: a one-line CheckpointError naming the file, in time, without big allocations. */
function problemWith(
  outcome: Awaited<ReturnType<typeof attempt>>,
  file: string,
  fileBytes: number,
  expectError = true,
): string | undefined {
  const { error, ms, largest } = outcome;
  if (ms >= TIME_LIMIT_MS) return `took ${Math.round(ms)} ms`;
  // Node's readFile reads in 64 KiB chunks; a header's claimed length is far above either.
  if (largest > Math.max(fileBytes, 64 * 1024)) return `allocated ${largest} bytes for a ${fileBytes}-byte file`;
  if (!expectError) return error === undefined ? undefined : `threw ${String(error)}`;
  if (error === undefined) return 'read succeeded';
  if (!(error instanceof CheckpointError)) return `threw ${(error as Error)?.name}: ${String((error as Error)?.message ?? error)}`;
  if (error.file !== file || !error.message.startsWith(`${file}: `)) return `does not name the file: ${error.message}`;
  if (/[\r\n]/.test(error.message)) return `more than one line: ${JSON.stringify(error.message)}`;
  return undefined;
}

describe('fuzzed checkpoints', () => {
  test('are at least 200, of every kind, each different from the good file, the same for the same seed', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const kinds = new Map<string, number>();
    for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    expect([...kinds.keys()].sort()).toEqual([
      'dtype',
      'header byte flipped',
      'header length',
      'header not JSON',
      'manifest',
      'offsets',
      'shape',
      'tensor data flipped',
      'tensor table',
      'truncated',
    ]);
    for (const [kind, count] of kinds) expect(count, kind).toBeGreaterThanOrEqual(10);
    expect(cases.filter((c) => c.bytes.equals(good)).map((c) => c.name)).toEqual([]);
    const digest = (list: FuzzedCheckpoint[]): string =>
      createHash('sha256')
        .update(Buffer.concat(list.map((c) => c.bytes)))
        .digest('hex');
    expect(digest(fuzzCheckpoint(good, 2024))).toBe(digest(cases));
    expect(digest(fuzzCheckpoint(good, 2025))).not.toBe(digest(cases));
  });

  test('every one is refused by readCheckpoint with a one-line CheckpointError naming the file, quickly, allocating no more than the file', async () => {
    const file = join(dir, 'fuzzed.safetensors');
    const failures: string[] = [];
    for (const { name, bytes } of cases) {
      await writeFile(file, bytes);
      const problem = problemWith(await attempt(() => readCheckpoint(file)), file, bytes.length);
      if (problem) failures.push(`${name}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  test('every one with a damaged header is refused by readManifest the same way; damaged tensor data is left to readCheckpoint', async () => {
    const file = join(dir, 'fuzzed.safetensors');
    const failures: string[] = [];
    for (const { name, kind, bytes } of cases) {
      await writeFile(file, bytes);
      // readManifest reads the header only, by design (inspect on a big file stays quick).
      const problem = problemWith(await attempt(() => readManifest(file)), file, bytes.length, kind !== 'tensor data flipped');
      if (problem) failures.push(`${name}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  test('the good file reads (the harness itself does not break it)', async () => {
    const file = join(dir, 'good-again.safetensors');
    await writeFile(file, good);
    await expect(readCheckpoint(file)).resolves.toMatchObject({ file });
    await expect(readManifest(file)).resolves.toMatchObject({ file });
  });
});
