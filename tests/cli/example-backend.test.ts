import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// A user's project that depends on the example third-party backend package, as `npm install
// ../examples/backend-plainjs` would leave it: a `file:` dependency, linked into node_modules.
const EXAMPLE = join(ROOT, 'examples', 'backend-plainjs');
const PACKAGE = 'headstart-backend-plainjs';

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'headstart-backend-project-'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-digits', private: true, type: 'module', dependencies: { [PACKAGE]: `file:${EXAMPLE}` } }, null, 2),
  );
  await mkdir(join(project, 'node_modules'));
  await symlink(EXAMPLE, join(project, 'node_modules', PACKAGE), 'dir');
  // Every fourth row held out for testing, the rest to train on.
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  await writeFile(join(project, 'train.csv'), `${[header, ...rows.filter((_, i) => i % 4 !== 0)].join('\n')}\n`);
  await writeFile(join(project, 'test.csv'), `${[header, ...rows.filter((_, i) => i % 4 === 0)].join('\n')}\n`);
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

/** `headstart evaluate --json` of a checkpoint on the held-out rows, on one backend. */
async function evaluate(model: string, backend: string): Promise<{ accuracy: number; loss: number; samples: number }> {
  const run = await runCli(['evaluate', '--model', model, '--data', 'test.csv', '--backend', backend, '--json'], { cwd: project });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as { accuracy: number; loss: number; samples: number };
}

describe('a third-party backend package in a project’s dependencies', () => {
  test('headstart plugins --json lists it with its package, version and origin', async () => {
    const run = await runCli(['plugins', '--json'], { cwd: project });
    expect(run.code).toBe(0);
    const { plugins, errors } = JSON.parse(run.stdout) as { plugins: Record<string, unknown>[]; errors: string[] };
    expect(errors).toEqual([]);
    expect(plugins.find((p) => p.name === 'plainjs')).toEqual({
      kind: 'backend',
      name: 'plainjs',
      source: PACKAGE,
      version: '0.1.0',
      origin: 'dependency',
      status: 'active',
      priority: 0,
    });
    expect(plugins.find((p) => p.name === 'onnx')).toMatchObject({ kind: 'backend', source: '@headstart/backend-onnx', origin: 'builtin' });
  });

  test('headstart doctor --json shows it available, on its js engine', async () => {
    const run = await runCli(['doctor', '--json'], { cwd: project });
    expect(run.code).toBe(0);
    const { backends, pluginErrors } = JSON.parse(run.stdout) as { backends: Record<string, unknown>[]; pluginErrors: string[] };
    expect(pluginErrors).toEqual([]);
    expect(backends.find((b) => b.name === 'plainjs')).toMatchObject({
      available: true,
      engine: 'js',
      reasons: ['plain JavaScript: needs no native module or WebAssembly'],
    });
  });

  test('headstart train --backend plainjs trains the digits; evaluate on plainjs gives ≥ 0.93, and onnx evaluates the checkpoint the same', async () => {
    const out = join(project, 'plainjs.safetensors');
    const trained = await runCli(
      [
        'train',
        '--backend',
        'plainjs',
        '--strategy',
        'full-retrain',
        '--data',
        'train.csv',
        '--scale',
        '16',
        '--epochs',
        '15',
        '--out',
        out,
        '--json',
      ],
      { cwd: project },
    );
    expect(trained.stderr).toMatch(/^saved .*plainjs\.safetensors — loss [0-9.]+ accuracy [0-9.]+ valLoss [0-9.]+ valAccuracy [0-9.]+\n$/);
    expect(trained.code).toBe(0);
    const events = jsonLines(trained.stdout);
    expect(events[0]).toMatchObject({ type: 'run-start', strategy: 'full-retrain', backend: 'plainjs', engine: 'js', epochs: 15 });
    expect(events.find((e) => e.type === 'model')).toEqual({ type: 'model', layers: 3, engine: 'plainjs/js' });
    expect(events.at(-1)).toMatchObject({ type: 'result', checkpoint: out });

    const onPlainJs = await evaluate(out, 'plainjs');
    expect(onPlainJs.samples).toBe(450);
    expect(onPlainJs.accuracy).toBeGreaterThanOrEqual(0.93);
    // The checkpoint is an ordinary headstart checkpoint: onnx computes the same predictions from it.
    const onOnnx = await evaluate(out, 'onnx');
    expect(Math.abs(onOnnx.accuracy - onPlainJs.accuracy)).toBeLessThanOrEqual(1e-4);
    expect(onOnnx.loss).toBeCloseTo(onPlainJs.loss, 4);
  });

  test('a project without the dependency has no plainjs backend (exit 2, naming the known ones)', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'headstart-bare-project-'));
    try {
      await writeFile(join(bare, 'package.json'), '{ "name": "bare", "private": true }\n');
      const run = await runCli(
        ['evaluate', '--model', join(project, 'plainjs.safetensors'), '--data', join(project, 'test.csv'), '--backend', 'plainjs'],
        { cwd: bare },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^headstart: unknown backend "plainjs"; available: .*onnx/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
