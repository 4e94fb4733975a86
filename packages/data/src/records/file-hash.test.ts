import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sha256OfFile, sha256OfPath } from './file-hash.js';

test("sha256OfPath: a file as sha256OfFile; a folder by its files' relative paths and bytes, whatever its location", async () => {
  const [a, b] = [await mkdtemp(join(tmpdir(), 'headstart-hash-')), await mkdtemp(join(tmpdir(), 'headstart-hash-'))];
  for (const dir of [a, b]) {
    await mkdir(join(dir, 'cats'));
    await writeFile(join(dir, 'cats', '1.png'), 'meow');
    await writeFile(join(dir, 'x.txt'), 'x');
  }
  expect(await sha256OfPath(join(a, 'x.txt'))).toBe(await sha256OfFile(join(a, 'x.txt')));
  expect(await sha256OfPath(a)).toBe(await sha256OfPath(b));
  await writeFile(join(b, 'cats', '1.png'), 'purr');
  expect(await sha256OfPath(a)).not.toBe(await sha256OfPath(b));
});
