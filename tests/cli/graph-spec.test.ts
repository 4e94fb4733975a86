import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const digits = join(ROOT, 'data', 'digits', 'digits.csv');
const RELEASE = join(ROOT, 'packages', 'core', 'src', 'checkpoint', '__fixtures__', 'release-0.1');
/** Written by the 0.1 CLI; see its README. */
const OLD = join(RELEASE, 'digits-cnn.safetensors');

const residual = `inputShape: [8, 8, 1]
layers:
  - { type: conv2d, name: stem, filters: 2, kernelSize: 3, padding: same, activation: relu }
  - { type: conv2d, name: conv1, filters: 2, kernelSize: 3, padding: same }
  - { type: add, name: res1, inputs: [conv1, stem] }
  - { type: flatten, name: flat }
  - { type: dense, name: head, units: 10, activation: softmax }
`;
const chain = `inputShape: [64]
layers:
  - { type: dense, name: enc, units: 8, activation: relu }
  - { type: dense, name: head, units: 10, activation: softmax }
`;
const explicitChain = `inputShape: [64]
layers:
  - { type: dense, name: enc, units: 8, activation: relu, inputs: [input] }
  - { type: dense, name: head, units: 10, activation: softmax, inputs: [enc] }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-graph-spec-'));
  await writeFile(join(dir, 'residual.yaml'), residual);
  await writeFile(join(dir, 'chain.yaml'), chain);
  await writeFile(join(dir, 'explicit.yaml'), explicitChain);
  const rows = (await readFile(digits, 'utf8')).split('\n').slice(0, 21).join('\n');
  await writeFile(join(dir, 'rows20.csv'), `${rows}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('a checkpoint written by release 0.1', () => {
  test('predicts what 0.1 predicted', async () => {
    const run = await runCli(['predict', '--model', OLD, '--data', 'rows20.csv', '--backend', 'onnx', '--out', 'p.csv'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(await readFile(join(dir, 'p.csv'), 'utf8')).toBe(await readFile(join(RELEASE, 'digits-cnn.predictions.csv'), 'utf8'));
  });

  test('train --from it --strategy continued --epochs 1 trains it on, and leaves it untouched', async () => {
    const before = await sha(OLD);
    const run = await runCli(
      [
        'train',
        '--from',
        OLD,
        '--strategy',
        'continued',
        '--epochs',
        '1',
        '--data',
        digits,
        '--backend',
        'onnx',
        '--out',
        'continued.safetensors',
      ],
      { cwd: dir },
    );
    expect(run.stderr).toMatch(/^saved continued\.safetensors — loss /);
    expect(run.code).toBe(0);
    const [old, continued] = [await readCheckpoint(OLD), await readCheckpoint(join(dir, 'continued.safetensors'))];
    expect(continued.manifest.spec).toEqual(old.manifest.spec);
    expect([...continued.weights.keys()]).toEqual([...old.weights.keys()]);
    expect(continued.weights.get('head.kernel')!.data).not.toEqual(old.weights.get('head.kernel')!.data);
    expect(continued.manifest.provenance.at(-1)).toMatchObject({ strategy: 'continued', parent: old.sha256 });
    expect(await sha(OLD)).toBe(before);
  });
});

describe('graph specs', () => {
  test('train --backend onnx trains a residual model and predict runs it', async () => {
    const run = await runCli(
      [
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        digits,
        '--model',
        'residual.yaml',
        '--backend',
        'onnx',
        '--epochs',
        '1',
        '--out',
        'residual-onnx.safetensors',
      ],
      { cwd: dir },
    );
    expect(run.stderr).toMatch(/^saved residual-onnx\.safetensors — loss /);
    expect(run.code).toBe(0);
    const saved = await readCheckpoint(join(dir, 'residual-onnx.safetensors'));
    expect(saved.manifest.spec.layers.find((l) => l.name === 'res1')).toMatchObject({ type: 'add', inputs: ['conv1', 'stem'] });
    const predict = await runCli(
      ['predict', '--model', 'residual-onnx.safetensors', '--data', 'rows20.csv', '--backend', 'onnx', '--out', 'r.csv'],
      {
        cwd: dir,
      },
    );
    expect(predict.code).toBe(0);
    expect((await readFile(join(dir, 'r.csv'), 'utf8')).trim().split('\n')).toHaveLength(21);
  });

  test.each(['tfjs'])('train --backend %s refuses a residual model in one line, exit 2, writing nothing', async (backend) => {
    const out = `residual-${backend}.safetensors`;
    const run = await runCli(
      [
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        digits,
        '--model',
        'residual.yaml',
        '--backend',
        backend,
        '--epochs',
        '1',
        '--out',
        out,
      ],
      { cwd: dir },
    );
    expect(run.stderr).toBe(
      `headstart: layer "res1": graph models (add, concat, branches) are not supported by the ${backend} backend yet\n`,
    );
    expect(run.code).toBe(2);
    await expect(readFile(join(dir, out))).rejects.toThrow(/ENOENT/);
  });

  test('a chain written with explicit inputs equal to the default trains exactly like one without', async () => {
    const train = (model: string, out: string) =>
      runCli(
        [
          'train',
          '--strategy',
          'full-retrain',
          '--data',
          digits,
          '--model',
          model,
          '--backend',
          'onnx',
          '--epochs',
          '1',
          '--scale',
          '16',
          '--out',
          out,
        ],
        { cwd: dir },
      );
    const [plain, explicit] = [await train('chain.yaml', 'chain.safetensors'), await train('explicit.yaml', 'explicit.safetensors')];
    expect([plain.code, explicit.code]).toEqual([0, 0]);
    const [a, b] = [await readCheckpoint(join(dir, 'chain.safetensors')), await readCheckpoint(join(dir, 'explicit.safetensors'))];
    expect(b.manifest.spec).toEqual(a.manifest.spec);
    expect(b.manifest.dataSha256).toBe(a.manifest.dataSha256);
  });
});
