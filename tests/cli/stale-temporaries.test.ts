import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');

/** The pid of a process that has exited: what a run killed with `kill -9` leaves in its temporaries' names. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** What a write killed half-way leaves beside `file` (the writer's temporary naming). */
async function leftBehind(dir: string, name: string): Promise<string> {
  const temp = `.${name}.${await deadPid()}.0badc0de.tmp`;
  await writeFile(join(dir, temp), Buffer.alloc(4096, 7));
  return temp;
}

test('the temporaries of a run killed mid-write are removed by the next run on the same output', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-stale-'));
  const temps = [await leftBehind(dir, 'm.resume.safetensors'), await leftBehind(dir, 'm.safetensors')];
  const run = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    DIGITS,
    '--scale',
    '16',
    '--epochs',
    '1',
    '--out',
    join(dir, 'm.safetensors'),
  ]);
  expect(run.stderr).toMatch(/saved /);
  expect(run.code).toBe(0);
  const left = await readdir(dir);
  for (const temp of temps) expect(left).not.toContain(temp);
  expect(left.filter((name) => name.endsWith('.tmp'))).toEqual([]);
});

test('the temporary of a predict killed mid-write is removed by the next predict to the same file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-stale-predict-'));
  const model = join(dir, 'm.safetensors');
  expect(
    (await runCli(['train', '--strategy', 'full-retrain', '--data', DIGITS, '--scale', '16', '--epochs', '1', '--out', model])).code,
  ).toBe(0);
  const temp = await leftBehind(dir, 'p.csv');
  const run = await runCli(['predict', '--model', model, '--data', DIGITS, '--out', join(dir, 'p.csv')]);
  expect(run.code).toBe(0);
  expect(await readdir(dir)).not.toContain(temp);
});
