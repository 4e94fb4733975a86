import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resumePath } from '@headstart/core';
import { expect, test } from 'vitest';
import { jsonLines, runCli } from './run-cli.js';

const train = (out: string, ...more: string[]): string[] => ['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--scale', '16', '--out', out, '--json', ...more];

test('a second run writing the same output is refused by the lock; the first goes on unharmed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-lock-'));
  const out = join(dir, 'm.safetensors');
  let second: ReturnType<typeof runCli> | undefined;
  let firstPid: number | undefined;
  const first = await runCli(train(out, '--epochs', '10000', '--checkpoint-every', '0'), {
    onStdout(chunk, child) {
      if (second || !chunk.includes('"type":"epoch-end"')) return;
      firstPid = child.pid;
      second = runCli(train(out, '--epochs', '1'));
      void second.then(() => child.kill('SIGINT'));
    },
  });
  const refused = await second!;
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe(`headstart: ${out}: another headstart run (process ${firstPid}) is writing this checkpoint (lock ${out}.lock); wait for it, or choose another --out\n`);
  expect(first.code, first.stderr).toBe(130);
  expect((await readCheckpoint(resumePath(out))).manifest.training?.complete).toBe(false);
  expect(existsSync(`${out}.lock`)).toBe(false);
});

test('a diverging run stops with a clear message and leaves the good checkpoint at --out as it was', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-nan-'));
  const out = join(dir, 'm.safetensors');
  expect((await runCli(train(out, '--epochs', '1'))).code).toBe(0);
  const good = await readFile(out);
  const diverged = await runCli(train(out, '--epochs', '3', '--lr', '1e4', '--set', 'optimizer=sgd', '--checkpoint-every', '1', '--seed', '1'));
  expect(diverged.code).toBe(2);
  expect(diverged.stderr).toMatch(/^headstart: training diverged: loss is (NaN|Infinity) in train epoch \d+, batch \d+; lower the learning rate \(--lr\) or check the data for extreme values \(the last good checkpoint is kept\)\n$/);
  expect((await readFile(out)).equals(good)).toBe(true);
  // The resumable checkpoint holds the last state with a finite loss, not the diverged one.
  const lastGood = await readCheckpoint(resumePath(out));
  const failedAt = Number(/batch (\d+)/.exec(diverged.stderr)![1]);
  expect(lastGood.manifest.training).toMatchObject({ epoch: 0, cursor: failedAt - 1 });
  for (const [name, tensor] of lastGood.weights) expect(tensor.data.every(Number.isFinite), name).toBe(true);
});

test('an --out that cannot be written is refused before training starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-badout-'));
  await mkdir(join(dir, 'adir'));
  await writeFile(join(dir, 'afile'), 'x');
  const isDir = await runCli(train(join(dir, 'adir'), '--epochs', '1'));
  expect(isDir.code).toBe(2);
  expect(isDir.stderr).toBe(`headstart: ${join(dir, 'adir')}: is a directory; --out names the checkpoint file to write (e.g. model.safetensors)\n`);
  expect(jsonLines(isDir.stdout).some((e) => e.type === 'step')).toBe(false);
  const underFile = join(dir, 'afile', 'm.safetensors');
  const blocked = await runCli(train(underFile, '--epochs', '1'));
  expect(blocked.code).toBe(2);
  expect(blocked.stderr).toBe(`headstart: ${underFile}: cannot create its directory ${join(dir, 'afile')}: a file is in the way\n`);
  expect(jsonLines(blocked.stdout).some((e) => e.type === 'step')).toBe(false);
});

test('a run diverging on the last step of an epoch writes no non-finite weights anywhere', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-nan-last-'));
  const out = join(dir, 'm.safetensors');
  // One batch an epoch: the step's own loss is finite, the update it makes is not.
  const run = await runCli(train(out, '--epochs', '2', '--batch-size', '4000', '--lr', '1e39', '--set', 'optimizer=sgd', '--set', 'momentum=0'));
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^headstart: training diverged: (validation loss is NaN after train epoch 1|parameter \S+ holds (NaN|-?Infinity)); lower the learning rate/);
  expect(existsSync(out)).toBe(false);
  expect(existsSync(resumePath(out))).toBe(false);
});
