import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli, type CliRun } from './run-cli.js';

const digits = join(ROOT, 'data', 'digits', 'digits.csv');
const small = `inputShape: [64]
layers:
  - { type: dense, name: enc, units: 8, activation: relu }
  - { type: dense, name: head, units: 10, activation: softmax }
`;

let dir: string;
const train = (out: string, ...args: string[]): Promise<CliRun> =>
  runCli(
    [
      'train',
      '--strategy',
      'full-retrain',
      '--data',
      digits,
      '--backend',
      'onnx',
      '--scale',
      '16',
      '--model',
      'small.yaml',
      '--epochs',
      '1',
      '--out',
      out,
      ...args,
    ],
    { cwd: dir },
  );
let smoothed: CliRun;
let plain: CliRun;
let mixed: CliRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-loss-options-'));
  await writeFile(join(dir, 'small.yaml'), small);
  [smoothed, plain, mixed] = await Promise.all([
    train('smoothed.safetensors', '--set', 'labelSmoothing=0.1', '--set', 'classWeights=balanced'),
    train('plain.safetensors'),
    train('mixed.safetensors', '--set', 'mixup=0.4', '--json'),
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('labelSmoothing and classWeights as options of the built-in strategies', () => {
  test('are recorded in the provenance and change the trained weights', async () => {
    expect([smoothed.code, plain.code]).toEqual([0, 0]);
    expect(smoothed.stderr).toMatch(/^saved smoothed\.safetensors — loss [^\n]*\n$/);
    const [withOptions, without] = [
      await readCheckpoint(join(dir, 'smoothed.safetensors')),
      await readCheckpoint(join(dir, 'plain.safetensors')),
    ];
    expect(withOptions.manifest.provenance[0]!.options).toMatchObject({ labelSmoothing: 0.1, classWeights: 'balanced' });
    expect(without.manifest.provenance[0]!.options).toMatchObject({ labelSmoothing: 0, classWeights: 'none' });
    // Same seed, same data, same start: only the loss differs.
    const bytes = (c: typeof without) => Buffer.from(c.weights.get('head.kernel')!.data.buffer);
    expect(bytes(withOptions).equals(bytes(without))).toBe(false);
  });

  test('--dry-run shows the loss with its options, class weights resolved, for a transfer strategy too', async () => {
    const run = await runCli(
      [
        'train',
        '--strategy',
        'frozen-base',
        '--from',
        'plain.safetensors',
        '--data',
        digits,
        '--backend',
        'onnx',
        '--scale',
        '16',
        '--set',
        'labelSmoothing=0.2',
        '--set',
        'classWeights=1,2,1,1,1,1,1,1,1,0.5',
        '--out',
        'dry.safetensors',
        '--dry-run',
      ],
      { cwd: dir },
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    const plan = jsonLines(run.stdout).find((e) => e.type === 'plan');
    expect(plan).toMatchObject({
      loss: 'softmaxCrossEntropy',
      lossOptions: { labelSmoothing: 0.2, classWeights: [1, 2, 1, 1, 1, 1, 1, 1, 1, 0.5] },
    });
    expect(existsSync(join(dir, 'dry.safetensors'))).toBe(false);
  });

  test('a misspelt or out-of-range option is refused in one line, exit 2, nothing written', async () => {
    const refusals: [string[], string][] = [
      [
        ['--set', 'labelSmoothin=0.1'],
        'headstart: strategy full-retrain: unknown option "labelSmoothin"; its options are epochs, lr, batchSize, optimizer, momentum, nesterov, weightDecay, schedule, warmupEpochs, patience, labelSmoothing, classWeights, mixup',
      ],
      [['--set', 'labelSmoothing=1'], 'headstart: strategy full-retrain: option labelSmoothing: Too big: expected number to be <1'],
      [['--set', 'classWeights=1,2'], 'headstart: classWeights: expected 10 weights, one per class (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), got 2'],
    ];
    const runs = await Promise.all(refusals.map(([args], i) => train(`refused${i}.safetensors`, ...args)));
    runs.forEach((run, i) => {
      expect([run.code, run.stderr]).toEqual([2, `${refusals[i]![1]}\n`]);
      expect(existsSync(join(dir, `refused${i}.safetensors`))).toBe(false);
    });
  });
});

describe('mixup as an option of the built-in strategies', () => {
  test('mixes the training batches (soft labels): recorded, shown in the plan, different weights, still learning', async () => {
    expect(mixed.code, mixed.stderr).toBe(0);
    const checkpoint = await readCheckpoint(join(dir, 'mixed.safetensors'));
    expect(checkpoint.manifest.provenance[0]!.options).toMatchObject({ mixup: 0.4 });
    const bytes = (c: typeof checkpoint) => Buffer.from(c.weights.get('head.kernel')!.data.buffer);
    expect(bytes(checkpoint).equals(bytes(await readCheckpoint(join(dir, 'plain.safetensors'))))).toBe(false);
    const end = jsonLines(mixed.stdout).find((e) => e.type === 'run-end') as { metrics: Record<string, number> };
    expect(end.metrics.valAccuracy).toBeGreaterThan(0.2); // chance is 0.1; one epoch of a tiny net
  });

  test('--dry-run names the transform of every training batch; mixup=-1 is refused in one line', async () => {
    const [dry, refused] = await Promise.all([
      train('dry-mixup.safetensors', '--set', 'mixup=0.2', '--dry-run'),
      train('refused-mixup.safetensors', '--set', 'mixup=-1'),
    ]);
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(jsonLines(dry.stdout).find((e) => e.type === 'plan')).toMatchObject({ transform: 'mixup alpha=0.2' });
    expect([refused.code, refused.stderr]).toEqual([
      2,
      'headstart: strategy full-retrain: option mixup: Too small: expected number to be >=0\n',
    ]);
  });
});
