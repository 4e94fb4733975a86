import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/** Absolute path of a file in this fixtures folder. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** A scratch folder for one test file, removed after its tests; `write` creates files (and folders) in it. */
export function useTempDir(): { path(name?: string): string; write(name: string, content: string | Uint8Array): Promise<string> } {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'headstart-data-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return {
    path: (name = '') => join(root, name),
    write: async (name, content) => {
      const file = join(root, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
  };
}

/** The digits data set embedded in the repository (1797 samples, 64 features, labels 0..9). */
export const DIGITS_CSV = fileURLToPath(new URL('../../../../data/digits/digits.csv', import.meta.url));
