import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { mountTmpfs, TMPFS_SKIP, type Tmpfs } from './__fixtures__/tmpfs.js';
import { openSafeFile, writeFileSafely } from './safe-write.js';
import { FileWriteError } from './write-error.js';

/** The one line a failed write throws, after `<file>: `. */
async function problemOf(promise: Promise<unknown>, file: string): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FileWriteError);
  const message = (error as Error).message;
  expect(message.startsWith(`${file}: `), message).toBe(true);
  expect(message).not.toContain('\n');
  return message.slice(file.length + 2);
}

function bytes(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

describe.skipIf(TMPFS_SKIP !== undefined)(`on a full disk (tmpfs)${TMPFS_SKIP ? ` — skipped: ${TMPFS_SKIP}` : ''}`, () => {
  let disk: Tmpfs;
  let file: string;
  const good = bytes(40_000, 7);
  beforeAll(() => {
    disk = mountTmpfs(512);
  });
  afterAll(() => disk?.unmount());
  beforeEach(async () => {
    await rm(join(disk.dir, '.filler'), { force: true });
    file = join(disk.dir, 'model.bin');
    await writeFile(file, good);
  });

  test('a write larger than the space left fails with one line; the good file is unchanged and no temporary is left', async () => {
    await disk.leaveFree(60_000);
    expect(await problemOf(writeFileSafely(file, bytes(200_000, 1)), file)).toBe('cannot write: no space left on the device');
    expect((await readFile(file)).equals(good)).toBe(true);
    expect((await readdir(disk.dir)).sort()).toEqual(['.filler', 'model.bin']);
  });

  test('streamed in pieces, the write that overflows fails the same way and leaves nothing behind', async () => {
    await disk.leaveFree(60_000);
    const out = await openSafeFile(file);
    await out.write(bytes(30_000, 2));
    expect(await problemOf(out.write(bytes(50_000, 3)), file)).toBe('cannot write: no space left on the device');
    await out.discard();
    expect((await readFile(file)).equals(good)).toBe(true);
    expect((await readdir(disk.dir)).sort()).toEqual(['.filler', 'model.bin']);
  });

  test('a failed write into folders it had to make leaves none of them behind (a tfjs export into a new folder)', async () => {
    await disk.leaveFree(60_000);
    const nested = join(disk.dir, 'export', 'tfjs', 'weights.bin');
    expect(await problemOf(writeFileSafely(nested, bytes(200_000, 1)), nested)).toBe('cannot write: no space left on the device');
    expect((await readdir(disk.dir)).sort()).toEqual(['.filler', 'model.bin']);
  });

  test('on a read-only file system the write fails with one line and the file is unchanged', async () => {
    const remount = (mode: string) => expect(spawnSync('mount', ['-o', `remount,${mode}`, disk.dir]).status).toBe(0);
    remount('ro');
    try {
      expect(await problemOf(writeFileSafely(file, bytes(100, 1)), file)).toBe('cannot write: read-only file system');
      const nested = join(disk.dir, 'new', 'm.onnx');
      expect(await problemOf(writeFileSafely(nested, bytes(100, 1)), nested)).toBe(
        `cannot create its directory ${join(disk.dir, 'new')}: read-only file system`,
      );
      expect((await readFile(file)).equals(good)).toBe(true);
    } finally {
      remount('rw');
    }
    expect(await readdir(disk.dir)).toEqual(['model.bin']);
  });
});

describe('writeFileSafely', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headstart-safe-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('replaces the file with exactly the bytes given, keeps its mode, creates missing folders, leaves no temporary', async () => {
    const file = join(dir, 'out.csv');
    await writeFile(file, 'old\n');
    await chmod(file, 0o640);
    await writeFileSafely(file, 'new,text\n');
    expect(await readFile(file, 'utf8')).toBe('new,text\n');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    const nested = join(dir, 'a', 'b', 'c.onnx');
    await writeFileSafely(nested, bytes(10, 4));
    expect(await readFile(nested)).toEqual(bytes(10, 4));
    expect((await readdir(dir)).sort()).toEqual(['a', 'out.csv']);
  });

  test('a discarded write removes the folders it made, and only those (not one that was there or one that filled up)', async () => {
    const out = await openSafeFile(join(dir, 'new', 'deeper', 'model.json'));
    await out.write('{}');
    await out.discard();
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, 'kept.txt'), 'x');
    const second = await openSafeFile(join(dir, 'a', 'b', 'weights.bin'));
    await writeFile(join(dir, 'a', 'other.bin'), 'someone else');
    await second.discard();
    expect((await readdir(dir)).sort()).toEqual(['a', 'kept.txt']);
    expect(await readdir(join(dir, 'a'))).toEqual(['other.bin']);
  });

  test('content that does not read back with the expected sha-256 is not renamed into place', async () => {
    const file = join(dir, 'm.safetensors');
    await writeFile(file, 'good');
    expect(await problemOf(writeFileSafely(file, 'new', { sha256: '0'.repeat(64) }), file)).toBe(
      'cannot write: the file read back differs from what was written (sha-256 mismatch)',
    );
    expect(await readFile(file, 'utf8')).toBe('good');
    expect(await readdir(dir)).toEqual(['m.safetensors']);
  });

  test('a name of 250 bytes (ASCII or not) gets a temporary name that fits the file system', async () => {
    for (const name of [`${'m'.repeat(238)}.safetensors`, `${'é'.repeat(119)}.csv`]) {
      expect(Buffer.byteLength(name)).toBeGreaterThanOrEqual(241);
      const file = join(dir, name);
      await writeFileSafely(file, 'x');
      expect(await readFile(file, 'utf8')).toBe('x');
    }
    expect(await readdir(dir)).toHaveLength(2);
  });

  test('a directory, a missing folder under a file, or a pipe as the target: one line, nothing replaced', async () => {
    expect(await problemOf(writeFileSafely(dir, 'x'), dir)).toBe('is a directory; expected the name of a file to write');
    const plain = join(dir, 'plain');
    await writeFile(plain, 'keep');
    const under = join(plain, 'x.onnx');
    expect(await problemOf(writeFileSafely(under, 'x'), under)).toBe(`cannot create its directory ${plain}: a file is in the way`);
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(await problemOf(writeFileSafely(fifo, 'x'), fifo)).toBe('not a regular file (a device, pipe or socket); refusing to replace it');
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect(await readFile(plain, 'utf8')).toBe('keep');
  });

  test("temporaries left by a dead process are removed on the next write; a live process's stay", async () => {
    const file = join(dir, 'm.resume.safetensors');
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const deadTemp = join(dir, `.m.resume.safetensors.${dead.pid}.0123abcd.tmp`);
      const liveTemp = join(dir, `.m.resume.safetensors.${live.pid}.0123abcd.tmp`);
      const otherFile = join(dir, `.other.safetensors.${dead.pid}.0123abcd.tmp`);
      for (const temp of [deadTemp, liveTemp, otherFile]) await writeFile(temp, 'left over');
      await writeFileSafely(file, 'x');
      expect((await readdir(dir)).sort()).toEqual([otherFile, liveTemp, file].map((f) => f.slice(dir.length + 1)).sort());
    } finally {
      live.kill('SIGKILL');
    }
  });
});
