import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { smallContent } from './__fixtures__/small-checkpoint.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';

const READER = fileURLToPath(new URL('./__fixtures__/read_safetensors.py', import.meta.url));
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const pythonMissing = python.error !== undefined || python.status !== 0;

interface PythonView {
  headerLength: number;
  tensors: { name: string; dtype: string; shape: number[]; first: number[] }[];
  metadata: Record<string, string>;
  manifest: unknown;
  dataSha256: string;
  headerSha256: string;
  fileSha256: string;
}

const TITLE = 'an independent reader (Python stdlib: struct + json) reads what core writes';

// Skipped, not failed, where python3 is not installed: the reader is a cross-check, not a dependency.
describe.skipIf(pythonMissing)(pythonMissing ? `${TITLE} [skipped: python3 is not installed]` : TITLE, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headstart-python-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the same tensor names, shapes, values and manifest', async () => {
    const file = join(dir, 'small.safetensors');
    const written = await writeCheckpoint(file, smallContent());
    const run = spawnSync('python3', [READER, file, '3'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const view = JSON.parse(run.stdout) as PythonView;
    const checkpoint = await readCheckpoint(file);

    const ours = [...checkpoint.weights, ...checkpoint.optimizer].map(([name, t]) => ({
      name,
      dtype: 'F32',
      shape: t.shape,
      first: [...t.data.subarray(0, 3)],
    }));
    expect(view.tensors).toEqual(ours);
    expect(view.headerLength % 8).toBe(0);
    expect(Object.keys(view.metadata)).toEqual(['headstart', 'headstart.sha256']);
    expect(view.headerSha256).toBe(view.metadata['headstart.sha256']);
    // Compared as parsed JSON: NaN has no JSON form, so the manifest is compared as written.
    expect(view.manifest).toEqual(JSON.parse(JSON.stringify(checkpoint.manifest)));
    expect(view.dataSha256).toBe(checkpoint.manifest.dataSha256);
    expect(view.fileSha256).toBe(written.sha256);
  });
});
