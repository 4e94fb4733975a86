import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

test("npm reads the project's config without a warning", async () => {
  const { stderr } = await promisify(execFile)('npm', ['config', 'get', 'fund'], { cwd: ROOT });
  expect(stderr).toBe('');
});

test("every dependency install script is decided in allowScripts, onnxruntime-node's GPU download denied", async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
  const { stdout } = await promisify(execFile)('npm', ['install-scripts', 'ls'], { cwd: ROOT });
  expect(stdout).not.toMatch(/onnxruntime-node|nx@|protobufjs|core-js/);
});
