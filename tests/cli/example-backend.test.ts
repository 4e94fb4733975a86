import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
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
      formats: [{ name: 'plainjs-json', extensions: ['.plain.json'], import: true, export: true }],
    });
    expect(plugins.find((p) => p.name === 'onnx')).toMatchObject({
      kind: 'backend',
      source: '@headstart/backend-onnx',
      origin: 'builtin',
      formats: [{ name: 'onnx', extensions: ['.onnx'], import: true, export: true }],
    });
    expect(plugins.find((p) => p.name === 'tfjs')).toMatchObject({
      formats: [{ name: 'tfjs', extensions: ['.json'], directoryEntry: 'model.json', import: true, export: true }],
    });
  });

  test('headstart plugins lists each format with its backend and files', async () => {
    const run = await runCli(['plugins'], { cwd: project });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        'format        backend  does            files',
        'onnx          onnx     import, export  .onnx',
        'plainjs-json  plainjs  import, export  .plain.json',
        'tfjs          tfjs     import, export  .json, or a directory holding model.json',
      ].join('\n'),
    );
  });

  test('its plainjs-json format: export and import through the CLI keep the weights bit-identical, and train --from reads it', async () => {
    const [ckpt, plain, back] = ['fmt.safetensors', 'fmt.plain.json', 'fmt-back.safetensors'].map((f) => join(project, f)) as [
      string,
      string,
      string,
    ];
    expect(
      (
        await runCli(
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
            '2',
            '--out',
            ckpt,
          ],
          { cwd: project },
        )
      ).code,
    ).toBe(0);
    const exported = await runCli(['export', ckpt, '--format', 'plainjs-json', '--out', plain], { cwd: project });
    expect(exported.stderr).toBe('');
    expect(exported.stdout).toBe(`exported ${ckpt} → ${plain} (plainjs-json)\n`);
    expect((await readFile(plain, 'utf8')).startsWith('{"format":"headstart-plainjs"')).toBe(true);

    const imported = await runCli(['import', plain, '--out', back], { cwd: project });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const [original, roundTrip] = [await readCheckpoint(ckpt), await readCheckpoint(back)];
    expect(roundTrip.manifest.spec).toEqual(original.manifest.spec);
    expect([...roundTrip.weights.keys()].sort()).toEqual([...original.weights.keys()].sort());
    for (const [name, tensor] of original.weights)
      expect(Buffer.from(roundTrip.weights.get(name)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), name).toBe(true);
    expect(roundTrip.manifest.provenance[0]).toMatchObject({ strategy: 'import', backend: 'plainjs' });

    // Found by its first bytes when its name says nothing.
    const renamed = join(project, 'fmt.model');
    await copyFile(plain, renamed);
    const sniffed = await runCli(['import', renamed, '--out', join(project, 'fmt-sniffed.safetensors')], { cwd: project });
    expect(sniffed.code, sniffed.stderr).toBe(0);

    const trained = await runCli(
      [
        'train',
        '--strategy',
        'continued',
        '--from',
        plain,
        '--data',
        'train.csv',
        '--scale',
        '16',
        '--epochs',
        '1',
        '--out',
        join(project, 'fmt-continued.safetensors'),
        '--json',
      ],
      { cwd: project },
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(jsonLines(trained.stdout)[0]).toMatchObject({ type: 'run-start', strategy: 'continued' });
  });

  test('a format no backend exports, or a file no format reads, is one line listing the formats', async () => {
    const unknown = await runCli(['export', join(project, 'fmt.safetensors'), '--format', 'coreml', '--out', join(project, 'x')], {
      cwd: project,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('headstart: --format coreml: no backend exports it (formats: onnx, plainjs-json, tfjs)\n');
    // Both sniffs accept a file that looks like either format: the user renames it, headstart does not guess.
    const odd = join(project, 'odd.plain.json');
    await writeFile(odd, '{"format":"headstart-plainjs","modelTopology":{}}\n');
    const ambiguous = await runCli(['import', odd, '--out', join(project, 'never.safetensors')], { cwd: project });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe(
      `headstart: ${odd}: its name and first bytes fit more than one format (plainjs-json, tfjs), and headstart does not guess; the formats are: onnx (.onnx), plainjs-json (.plain.json), tfjs (.json, or a directory holding model.json)\n`,
    );
    const notes = join(project, 'notes.txt');
    await writeFile(notes, 'not a model\n');
    const unread = await runCli(['import', notes, '--out', join(project, 'never.safetensors')], { cwd: project });
    expect(unread.code).toBe(2);
    expect(unread.stderr).toBe(
      `headstart: ${notes}: no backend imports this file (by its name or its first bytes); the formats are: onnx (.onnx), plainjs-json (.plain.json), tfjs (.json, or a directory holding model.json)\n`,
    );
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
