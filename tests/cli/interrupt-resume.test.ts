import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resumePath } from '@headstart/core';
import { expect, test } from 'vitest';
import { runCli } from './run-cli.js';

test('Ctrl-C saves a resumable checkpoint and exits 130; --resume finishes with the weights of an uninterrupted run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-sigint-'));
  const args = (out: string): string[] => [
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    'data/digits/digits.csv',
    '--scale',
    '16',
    '--epochs',
    '4',
    '--seed',
    '3',
    '--out',
    out,
    '--json',
  ];
  const reference = join(dir, 'reference.safetensors');
  expect((await runCli(args(reference))).code).toBe(0);

  const out = join(dir, 'interrupted.safetensors');
  let sent = false;
  const interrupted = await runCli(args(out), {
    onStdout(chunk, child) {
      if (!sent && chunk.includes('"type":"epoch-end"')) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  expect(interrupted.code).toBe(130);
  expect(interrupted.stderr).toBe('headstart: interrupted; a resumable checkpoint was saved, continue with --resume\n');
  expect(existsSync(out)).toBe(false);
  const partial = await readCheckpoint(resumePath(out));
  expect(partial.manifest.training?.complete).toBe(false);

  const resumed = await runCli([...args(out), '--resume']);
  expect(resumed.code).toBe(0);
  expect(existsSync(resumePath(out))).toBe(false);
  const [want, got] = [await readCheckpoint(reference), await readCheckpoint(out)];
  for (const [name, tensor] of want.weights) expect(got.weights.get(name)!.data, name).toEqual(tensor.data);
});

test('--resume without an interrupted run says so and exits 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-noresume-'));
  const out = join(dir, 'm.safetensors');
  const run = await runCli(['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--out', out, '--resume']);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(
    `headstart: --resume: no resumable checkpoint at ${resumePath(out)} (it is written while a run trains and removed when it finishes)\n`,
  );
});
