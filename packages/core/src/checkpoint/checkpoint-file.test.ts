import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { CheckpointError } from '../errors.js';
import { mountTmpfs, TMPFS_SKIP, type Tmpfs } from '../io/__fixtures__/tmpfs.js';
import type { NamedTensors } from '../tensors.js';
import { CHECKPOINT_CORRUPTIONS, SAFETENSORS_CORRUPTIONS } from './__fixtures__/corrupt-files.js';
import { editHeader, editManifest, rawSafetensors, smallContent } from './__fixtures__/small-checkpoint.js';
import { readCheckpoint, readManifest, writeCheckpoint } from './checkpoint-file.js';
import { CHECKPOINT_FORMAT_VERSION } from './manifest.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-checkpoint-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function bitsOf(tensors: NamedTensors): Record<string, number[]> {
  return Object.fromEntries([...tensors].map(([name, t]) => [name, [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)]]));
}

async function problemOf(promise: Promise<unknown>, file: string): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  const message = (error as CheckpointError).message;
  expect(message.startsWith(`${file}: `), message).toBe(true);
  expect(message).not.toContain('\n');
  return message.slice(file.length + 2);
}

describe('writeCheckpoint / readCheckpoint', () => {
  test('round-trips weights, optimizer state and manifest, bit for bit and in insertion order', async () => {
    const content = smallContent();
    // Not the spec's order: the file keeps the caller's order.
    content.weights = new Map([...content.weights].reverse());
    content.weights.get('out.bias')!.data.set([Number.NaN, -0]);
    const file = join(dir, 'nested', 'deeper', 'model.safetensors');
    const written = await writeCheckpoint(file, content);
    const read = await readCheckpoint(file);

    expect([...read.weights.keys()]).toEqual(['out.bias', 'out.kernel', 'hidden.bias', 'hidden.kernel']);
    expect([...read.optimizer.keys()]).toEqual([...content.optimizer!.keys()]);
    expect(bitsOf(read.weights)).toEqual(bitsOf(content.weights));
    expect(bitsOf(read.optimizer)).toEqual(bitsOf(content.optimizer!));
    expect(read.optimizer.get('optim.step')!.shape).toEqual([]);
    expect(read.manifest).toEqual({
      format: 'headstart',
      version: CHECKPOINT_FORMAT_VERSION,
      ...content.manifest,
      dataSha256: read.manifest.dataSha256,
    });
    expect(read.manifest.dataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(read.file).toBe(file);

    const bytes = await readFile(file);
    expect(written).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
    expect(read.sha256).toBe(written.sha256);
  });

  test('tensors come first as weights, then optimizer state, and the manifest names the data hash', async () => {
    const file = join(dir, 'order.safetensors');
    await writeCheckpoint(file, smallContent());
    const overview = await readManifest(file);
    const names = overview.tensors.map((t) => t.name);
    expect(names.slice(0, 4)).toEqual(['hidden.kernel', 'hidden.bias', 'out.kernel', 'out.bias']);
    expect(names.slice(4).every((n) => n.startsWith('optim.'))).toBe(true);
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(overview.manifest.dataSha256).toBe(
      createHash('sha256')
        .update(bytes.subarray(8 + headerLength))
        .digest('hex'),
    );
  });

  test('a checkpoint without optimizer state reads back with an empty optimizer map', async () => {
    const file = join(dir, 'final.safetensors');
    await writeCheckpoint(file, { ...smallContent(), optimizer: undefined });
    expect((await readCheckpoint(file)).optimizer.size).toBe(0);
  });

  test('NaN (an early-stopping best not set yet) survives JSON as null and reads back as NaN', async () => {
    const content = smallContent();
    content.manifest.training!.earlyStopping = { best: Number.NaN, bestEpoch: -1, wait: 0 };
    const file = join(dir, 'nan.safetensors');
    await writeCheckpoint(file, content);
    expect((await readCheckpoint(file)).manifest.training!.earlyStopping).toEqual({ best: Number.NaN, bestEpoch: -1, wait: 0 });
  });

  test('fields of an older manifest passed back in (format, version, data hash) are replaced', async () => {
    const file = join(dir, 'again.safetensors');
    await writeCheckpoint(file, smallContent());
    const first = await readCheckpoint(file);
    const edited = { ...first.manifest, version: 99, dataSha256: '0'.repeat(64) };
    first.weights.get('out.bias')!.data[0] = 5;
    await writeCheckpoint(file, { manifest: edited, weights: first.weights });
    const second = await readCheckpoint(file);
    expect(second.manifest.version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(second.weights.get('out.bias')!.data[0]).toBe(5);
  });
});

describe('readManifest', () => {
  test('returns the manifest and the tensor table from the header alone', async () => {
    const file = join(dir, 'big.safetensors');
    await writeCheckpoint(file, smallContent());
    const full = await readCheckpoint(file);
    const overview = await readManifest(file);
    expect(overview.file).toBe(file);
    expect(overview.manifest).toEqual(full.manifest);
    expect(overview.tensors[0]).toEqual({ name: 'hidden.kernel', shape: [4, 3], dtype: 'F32', bytes: 48 });
    expect(overview.tensors).toHaveLength(full.weights.size + full.optimizer.size);
  });

  test('does not read the tensor data: a corrupted data section still lists', async () => {
    const file = join(dir, 'flipped.safetensors');
    await writeCheckpoint(file, smallContent());
    const bytes = await readFile(file);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(file, bytes);
    await expect(readManifest(file)).resolves.toMatchObject({ manifest: { format: 'headstart' } });
    expect(await problemOf(readCheckpoint(file), file)).toBe('tensor data is corrupted (sha-256 mismatch)');
  });
});

describe('atomic writes', () => {
  async function goodFile(): Promise<{ file: string; before: Buffer }> {
    const file = join(dir, 'model.safetensors');
    await writeCheckpoint(file, smallContent());
    return { file, before: await readFile(file) };
  }

  async function expectUntouched(file: string, before: Buffer): Promise<void> {
    expect((await readFile(file)).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    await expect(readCheckpoint(file)).resolves.toBeDefined();
  }

  test('content that would not read back is refused before anything touches the disk', async () => {
    const { file, before } = await goodFile();
    const content = smallContent();
    content.weights.set('hidden.kernel', { shape: [4, 3], data: new Float32Array(5) });
    expect(await problemOf(writeCheckpoint(file, content), file)).toBe(
      'cannot write: tensor "hidden.kernel": 5 values do not fill shape [4, 3] (12 values)',
    );
    await expectUntouched(file, before);
  });
});

describe.skipIf(TMPFS_SKIP !== undefined)(`writeCheckpoint on a full disk (tmpfs)${TMPFS_SKIP ? ` — skipped: ${TMPFS_SKIP}` : ''}`, () => {
  let disk: Tmpfs;
  beforeAll(() => {
    disk = mountTmpfs(1024);
  });
  afterAll(() => disk?.unmount());

  test('a checkpoint larger than the space left: one line, the good checkpoint unchanged and still readable, no temporary left', async () => {
    const file = join(disk.dir, 'model.safetensors');
    await writeCheckpoint(file, smallContent());
    const before = await readFile(file);
    // 200 KB of optimizer state, with 48 KB free: the write stops part-way.
    const big = smallContent();
    big.optimizer!.set('optim.pad', { shape: [50_000], data: new Float32Array(50_000).fill(1) });
    await disk.leaveFree(48 * 1024);
    expect(await problemOf(writeCheckpoint(file, big), file)).toBe('cannot write: no space left on the device');
    expect((await readFile(file)).equals(before)).toBe(true);
    await expect(readCheckpoint(file)).resolves.toBeDefined();
    expect((await readdir(disk.dir)).sort()).toEqual(['.filler', 'model.safetensors']);
  });
});

describe('damaged checkpoints', () => {
  const cases = [...SAFETENSORS_CORRUPTIONS, ...CHECKPOINT_CORRUPTIONS];

  test.each(cases)('readCheckpoint: $name', async ({ bytes, problem }) => {
    const file = join(dir, 'damaged.safetensors');
    await writeFile(file, bytes());
    expect(await problemOf(readCheckpoint(file), file)).toBe(problem);
  });

  // readManifest never reads the data section, so it cannot see corrupted tensor data.
  test.each(cases.filter((c) => c.name !== 'tensor data corrupted'))('readManifest: $name', async ({ bytes, problem }) => {
    const file = join(dir, 'damaged.safetensors');
    await writeFile(file, bytes());
    expect(await problemOf(readManifest(file), file)).toBe(problem);
  });

  test('a header edit that still parses and fits the spec is caught by the header hash; a file without one still reads', async () => {
    const file = join(dir, 'edited.safetensors');
    await writeCheckpoint(file, smallContent());
    const written = await readFile(file);
    const problem = 'header is corrupted (sha-256 mismatch of the manifest and tensor table)';
    await writeFile(
      file,
      editManifest(written, (m) => ({ ...m, labels: ['dog', 7] })),
    );
    expect(await problemOf(readCheckpoint(file), file)).toBe(problem);
    expect(await problemOf(readManifest(file), file)).toBe(problem);
    // Same-sized tensors swapped: every check but the header hash passes.
    await writeFile(
      file,
      editHeader(written, (h) => ({ ...h, 'hidden.bias': h['optim.m.hidden.bias'], 'optim.m.hidden.bias': h['hidden.bias'] })),
    );
    expect(await problemOf(readCheckpoint(file), file)).toBe(problem);
    // Checkpoints written before the hash existed have none.
    await writeFile(
      file,
      editHeader(written, (h) => ({ ...h, __metadata__: { headstart: (h.__metadata__ as Record<string, string>).headstart } })),
    );
    await expect(readCheckpoint(file)).resolves.toMatchObject({ manifest: { labels: ['cat', 7] } });
  });

  test('a missing file', async () => {
    const file = join(dir, 'nothing.safetensors');
    expect(await problemOf(readCheckpoint(file), file)).toBe('no such file');
    expect(await problemOf(readManifest(file), file)).toBe('no such file');
  });

  test('a directory', async () => {
    expect(await problemOf(readCheckpoint(dir), dir)).toBe('is a directory, expected a checkpoint file');
    expect(await problemOf(readManifest(dir), dir)).toBe('is a directory, expected a checkpoint file');
  });

  // /dev/zero would be read until memory runs out, and opening a pipe waits for a writer.
  test.skipIf(!fs.existsSync('/dev/zero'))(
    'a device or a pipe, refused without reading',
    async () => {
      const problem = 'not a regular file (a device, pipe or socket); expected a checkpoint file';
      expect(await problemOf(readCheckpoint('/dev/zero'), '/dev/zero')).toBe(problem);
      expect(await problemOf(readManifest('/dev/zero'), '/dev/zero')).toBe(problem);
      const pipe = join(dir, 'pipe.safetensors');
      const made = spawnSync('mkfifo', [pipe]);
      if (made.status !== 0) return;
      expect(await problemOf(readCheckpoint(pipe), pipe)).toBe(problem);
      expect(await problemOf(readManifest(pipe), pipe)).toBe(problem);
    },
    5000,
  );

  test('a file truncated at any length fails with the reason for that length', async () => {
    const file = join(dir, 'whole.safetensors');
    await writeCheckpoint(file, smallContent());
    const whole = await readFile(file);
    const headerLength = Number(whole.readBigUInt64LE(0));
    const dataStart = 8 + headerLength;
    const { tensors } = await readManifest(file);
    const ends = tensors.reduce<number[]>((acc, t) => [...acc, (acc[acc.length - 1] ?? 0) + t.bytes], []);
    const expected = (length: number): string => {
      if (length < 8) return `not a safetensors file: ${length} bytes, too short for the 8-byte header length`;
      if (length < dataStart) {
        return `header length ${headerLength} bytes is larger than the rest of the file (${length - 8} bytes); the file is truncated or not safetensors`;
      }
      const dataBytes = length - dataStart;
      const index = ends.findIndex((end) => end > dataBytes);
      const begin = index === 0 ? 0 : ends[index - 1]!;
      return `tensor "${tensors[index]!.name}": data_offsets [${begin}, ${ends[index]}] run past the end of the data (${dataBytes} bytes)`;
    };
    const lengths = [
      0,
      1,
      7,
      8,
      9,
      dataStart >> 1,
      dataStart - 1,
      dataStart,
      dataStart + 1,
      dataStart + 48,
      whole.length - 4,
      whole.length - 1,
    ];
    for (const length of lengths) {
      await writeFile(file, whole.subarray(0, length));
      expect(await problemOf(readCheckpoint(file), file), `truncated to ${length} bytes`).toBe(expected(length));
      expect(await problemOf(readManifest(file), file), `truncated to ${length} bytes`).toBe(expected(length));
    }
  });

  test('a header length of 2^60 fails at once, without allocating for it', async () => {
    const file = join(dir, 'huge.safetensors');
    await writeFile(file, rawSafetensors('{}', 64, 2n ** 60n));
    const sizes: number[] = [];
    for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[method].bind(Buffer) as (size: number) => Buffer;
      vi.spyOn(Buffer, method).mockImplementation(((size: number, ...rest: unknown[]) => {
        sizes.push(size);
        return (original as (...a: unknown[]) => Buffer)(size, ...rest);
      }) as never);
    }
    const started = performance.now();
    const problem = 'header length 1152921504606846976 bytes exceeds the 100 MiB limit; the file is corrupt or not safetensors';
    expect(await problemOf(readManifest(file), file)).toBe(problem);
    expect(await problemOf(readCheckpoint(file), file)).toBe(problem);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(Math.max(0, ...sizes)).toBeLessThan(1024 * 1024);
  });
});

describe('writeCheckpoint refuses what would not read back', () => {
  test.each([
    [
      'a weight shaped unlike the spec',
      (c: ReturnType<typeof smallContent>) => c.weights.set('out.kernel', { shape: [2, 3], data: new Float32Array(6) }),
      'cannot write: parameter out.kernel: expected shape [3, 2], found [2, 3]',
    ],
    [
      'a missing weight',
      (c: ReturnType<typeof smallContent>) => c.weights.delete('hidden.bias'),
      'cannot write: parameter hidden.bias is missing (expected shape [3])',
    ],
    [
      'a stray weight',
      (c: ReturnType<typeof smallContent>) => c.weights.set('head.kernel', { shape: [1], data: new Float32Array(1) }),
      'cannot write: tensor "head.kernel" is not a parameter of the spec (and not optimizer state under optim.*)',
    ],
    [
      'optimizer state outside optim.*',
      (c: ReturnType<typeof smallContent>) => c.optimizer!.set('adam.m', { shape: [1], data: new Float32Array(1) }),
      'cannot write: optimizer tensor "adam.m" must be named optim.*',
    ],
    [
      'an invalid manifest field',
      (c: ReturnType<typeof smallContent>) => (c.manifest.training!.epoch = -1),
      'cannot write: manifest: training.epoch: Too small: expected number to be >=0',
    ],
  ])('%s', async (_, edit, problem) => {
    const file = join(dir, 'refused.safetensors');
    const content = smallContent();
    edit(content);
    expect(await problemOf(writeCheckpoint(file, content), file)).toBe(problem);
    expect(await readdir(dir)).toEqual([]);
  });
});
