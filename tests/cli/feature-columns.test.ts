import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '@headstart/core';
import { beforeAll, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const digits = join(ROOT, 'data', 'digits', 'digits.csv');
let dir = '';
let model = '';

/** The digits CSV with its columns rearranged by `pick` (given the header, returns the column indices to keep in order). */
async function rearranged(name: string, pick: (header: string[]) => number[]): Promise<string> {
  const rows = (await readFile(digits, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  const order = pick(rows[0]!);
  const file = join(dir, name);
  await writeFile(file, `${rows.map((cells) => order.map((i) => cells[i]).join(',')).join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-columns-'));
  model = join(dir, 'm.safetensors');
  const run = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    digits,
    '--scale',
    '16',
    '--epochs',
    '5',
    '--out',
    model,
    '--json',
  ]);
  expect(run.code, run.stderr).toBe(0);
});

test('the checkpoint records the input columns, and evaluate reads a file with them in another order correctly', async () => {
  const header = (await readFile(digits, 'utf8')).split('\n', 1)[0]!.split(',');
  expect((await readManifest(model)).manifest.featureNames).toEqual(header.filter((name) => name !== 'label'));
  const reversed = await rearranged('reversed.csv', (h) => h.map((_, i) => h.length - 1 - i));
  const [straight, shuffled] = await Promise.all(
    [digits, reversed].map(
      async (data) => JSON.parse((await runCli(['evaluate', '--model', model, '--data', data, '--json'])).stdout) as { accuracy: number },
    ),
  );
  expect(straight!.accuracy).toBeGreaterThan(0.9);
  expect(shuffled!.accuracy).toBe(straight!.accuracy);
});

test("a file missing one of the model's columns is refused, naming it", async () => {
  const missing = await rearranged('missing.csv', (h) => h.map((_, i) => i).filter((i) => h[i] !== 'p27'));
  const run = await runCli(['predict', '--model', model, '--data', missing]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(new RegExp(`^headstart: ${missing}: missing column p27; the model was trained on 64 columns: .+\\n$`));
});

test('train --from reads new data in the column order the starting model was trained on', async () => {
  const reversed = await rearranged('reversed-train.csv', (h) => h.map((_, i) => h.length - 1 - i));
  const run = await runCli([
    'train',
    '--strategy',
    'continued',
    '--from',
    model,
    '--data',
    reversed,
    '--epochs',
    '1',
    '--lr',
    '1e-7',
    '--out',
    join(dir, 'continued.safetensors'),
    '--json',
  ]);
  expect(run.code, run.stderr).toBe(0);
  const epoch = run.stdout
    .split('\n')
    .filter((l) => l.includes('"type":"epoch-end"'))
    .map((l) => JSON.parse(l) as { metrics: { valAccuracy: number } })[0]!;
  // At a learning rate this small the model is the one it started from: as good as on the original file.
  expect(epoch.metrics.valAccuracy).toBeGreaterThan(0.9);
});
