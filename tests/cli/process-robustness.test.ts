import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, ROOT, runCli, type CliRun } from './run-cli.js';
import { spawnCli } from './spawn-cli.js';

// stdout and stderr that fail (a reader that leaves, a full disk) never end a run with a stack
// trace or a stale lock; a deleted current folder is one line.

let dir: string;
let data: string;
let model: string;

/** The first 300 digits rows: enough to train on, quick to read. */
async function smallDigits(file: string): Promise<void> {
  const lines = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).split('\n');
  await writeFile(file, `${lines.slice(0, 301).join('\n')}\n`);
}

/** `headstart ...args` with its stdout written to /dev/full (writes fail with ENOSPC), stderr collected. */
function runToFullDevice(args: string[]): Promise<CliRun> {
  const full = openSync('/dev/full', 'w');
  try {
    return spawnCli(args, { cwd: dir, stdio: ['ignore', full, 'pipe'] });
  } finally {
    closeSync(full);
  }
}

const trainArgs = (out: string): string[] => [
  'train',
  '--strategy',
  'full-retrain',
  '--data',
  data,
  '--scale',
  '16',
  '--epochs',
  '2',
  '--checkpoint-every',
  '0',
  '--out',
  out,
];

/** The checkpoint reads back whole, and no lock or temporary file of the run is left beside it. */
async function expectCleanCheckpoint(out: string): Promise<void> {
  const checkpoint = await readCheckpoint(out);
  expect(checkpoint.manifest.training?.complete).toBe(true);
  const name = basename(out);
  const stem = basename(out, '.safetensors');
  const left = (await readdir(dir)).filter((f) => f !== name && (f.startsWith(`${stem}.`) || f.startsWith(`.${stem}`)));
  expect(left).toEqual([]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-process-'));
  data = join(dir, 'digits.csv');
  model = join(dir, 'model.safetensors');
  await smallDigits(data);
  const trained = await runCli([...trainArgs(model), '--json']);
  expect(trained.code, trained.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train with a stdout that fails', () => {
  test('a reader that leaves after the first line (`| head -1`): training finishes, the checkpoint is saved, no lock is left', async () => {
    const out = join(dir, 'piped.safetensors');
    const run = await spawnCli([...trainArgs(out), '--json'], {
      cwd: dir,
      onStdout: (chunk, child) => chunk.includes('\n') && child.stdout?.destroy(),
    });
    expect(run.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^saved .*piped\.safetensors/m);
    await expectCleanCheckpoint(out);
  });

  test('stdout on a full device: training finishes and saves, then one line says stdout was lost (exit 1)', async () => {
    const out = join(dir, 'full.safetensors');
    const run = await runToFullDevice(trainArgs(out));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/ENOSPC|\n\s+at /);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('headstart: stdout: no space left on the device');
    await expectCleanCheckpoint(out);
  });
});

test('train with stderr on a full device: the run finishes and saves (exit 0)', async () => {
  const out = join(dir, 'quiet.safetensors');
  const full = openSync('/dev/full', 'w');
  // Without a terminal, stdout is JSON lines and stderr has the human lines (`saved …`), which fail here.
  const run = await spawnCli([...trainArgs(out), '--json'], { cwd: dir, stdio: ['ignore', 'pipe', full] }).finally(() => closeSync(full));
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/"type":"result"/);
  await expectCleanCheckpoint(out);
});

describe('commands whose stdout is the product, on a full device', () => {
  const cases: [string, () => string[]][] = [
    ['predict', () => ['predict', '--model', model, '--data', data]],
    ['inspect --json', () => ['inspect', model, '--json']],
    ['evaluate --json', () => ['evaluate', '--model', model, '--data', data, '--json']],
  ];
  test.each(cases)('%s: one line on stderr, exit 1', async (_, args) => {
    const run = await runToFullDevice(args());
    expect(run.stderr).toBe('headstart: stdout: no space left on the device\n');
    expect(run.code).toBe(1);
  });
});

test('a deleted current folder is one line, exit 2', async () => {
  const gone = await mkdtemp(join(tmpdir(), 'headstart-gone-'));
  // The shell enters the folder, removes it, then becomes headstart in it.
  const run = await spawnCli(['-c', 'cd "$1" && rmdir "$1" && exec "$0" "$2" plugins', process.execPath, gone, CLI], { cwd: dir }, 'sh');
  expect(run.stderr).toBe(`headstart: the current folder ${gone} no longer exists (deleted?); cd into an existing folder and run again\n`);
  expect(run.code).toBe(2);
});
