import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'check-boundaries.mjs');

async function fakePackage(pkg: object, source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-boundaries-'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
  await writeFile(join(dir, 'src', 'index.ts'), source);
  return dir;
}

async function check(dir: string): Promise<{ code: number; stderr: string }> {
  try {
    await run('node', [script, dir], { cwd: dir });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('check-boundaries', () => {
  test('the workspace as it is passes', async () => {
    await expect(run('node', [script])).resolves.toBeDefined();
  });

  test('core importing a compute library fails the check', async () => {
    const dir = await fakePackage(
      { name: '@headstart/core', dependencies: { '@tensorflow/tfjs': '*' } },
      "import * as tf from '@tensorflow/tfjs';\n",
    );
    const { code, stderr } = await check(dir);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'boundary violation: src/index.ts: imports "@tensorflow/tfjs": core must not import a backend, a strategy, the CLI or a compute library\n',
    );
  });

  test('a backend importing the strategies package fails the check', async () => {
    const dir = await fakePackage(
      { name: 'my-backend', headstart: { backends: './dist/index.js' }, dependencies: { '@headstart/strategies': '*' } },
      "export { fullRetrain } from '@headstart/strategies';\n",
    );
    const { code, stderr } = await check(dir);
    expect(code).toBe(1);
    expect(stderr).toContain('a backend may import only @headstart/core of our packages');
  });

  test('an undeclared dependency fails the check', async () => {
    const dir = await fakePackage(
      { name: '@headstart/strategies', peerDependencies: { '@headstart/core': '*' } },
      "import { z } from 'zod';\n",
    );
    const { code, stderr } = await check(dir);
    expect(code).toBe(1);
    expect(stderr).toContain('imports "zod": not declared in package.json');
  });

  test('data importing a backend fails the check', async () => {
    const dir = await fakePackage(
      { name: '@headstart/data', peerDependencies: { '@headstart/core': '*', '@headstart/backend-onnx': '*' } },
      "import { createOnnxBackend } from '@headstart/backend-onnx';\n",
    );
    const { code, stderr } = await check(dir);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'boundary violation: src/index.ts: imports "@headstart/backend-onnx": data may import only @headstart/core of our packages and no compute library\n',
    );
  });

  test("a backend may import core's backend kit, and strategies the data package", async () => {
    const backend = await fakePackage(
      { name: 'my-backend', headstart: { backends: './dist/index.js' }, peerDependencies: { '@headstart/core': '*' } },
      "import { planTraining } from '@headstart/core/backend-kit';\n",
    );
    expect(await check(backend)).toEqual({ code: 0, stderr: '' });
    const strategies = await fakePackage(
      {
        name: 'my-strategies',
        headstart: { strategies: './dist/index.js' },
        peerDependencies: { '@headstart/core': '*', '@headstart/data': '*' },
      },
      "import { subset } from '@headstart/data';\n",
    );
    expect(await check(strategies)).toEqual({ code: 0, stderr: '' });
  });
});
