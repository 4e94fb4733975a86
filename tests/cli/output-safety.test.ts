import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, readManifest, resumePath } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli, type CliRun } from './run-cli.js';

const train = (out: string, ...more: string[]): string[] => [
  'train',
  '--strategy',
  'full-retrain',
  '--data',
  'data/digits/digits.csv',
  '--scale',
  '16',
  '--out',
  out,
  '--json',
  ...more,
];

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
  expect(refused.stderr).toBe(
    `headstart: ${out}: another headstart run (process ${firstPid}) is writing this checkpoint (lock ${out}.lock); wait for it, or choose another --out\n`,
  );
  expect(first.code, first.stderr).toBe(130);
  expect((await readCheckpoint(resumePath(out))).manifest.training?.complete).toBe(false);
  expect(existsSync(`${out}.lock`)).toBe(false);
});

test('a diverging run stops with a clear message and leaves the good checkpoint at --out as it was', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-nan-'));
  const out = join(dir, 'm.safetensors');
  expect((await runCli(train(out, '--epochs', '1'))).code).toBe(0);
  const good = await readFile(out);
  const diverged = await runCli(
    train(out, '--epochs', '3', '--lr', '1e4', '--set', 'optimizer=sgd', '--checkpoint-every', '1', '--seed', '1'),
  );
  expect(diverged.code).toBe(2);
  expect(diverged.stderr).toMatch(
    /^headstart: training diverged: loss is (NaN|Infinity) in train epoch \d+, batch \d+; lower the learning rate \(--lr\) or check the data for extreme values \(the last good checkpoint is kept\)\n$/,
  );
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
  expect(isDir.stderr).toBe(
    `headstart: ${join(dir, 'adir')}: is a directory; --out names the checkpoint file to write (e.g. model.safetensors)\n`,
  );
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
  const run = await runCli(
    train(out, '--epochs', '2', '--batch-size', '4000', '--lr', '1e39', '--set', 'optimizer=sgd', '--set', 'momentum=0'),
  );
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    /^headstart: training diverged: (validation loss is NaN after train epoch 1|parameter \S+ holds (NaN|-?Infinity)); lower the learning rate/,
  );
  expect(existsSync(out)).toBe(false);
  expect(existsSync(resumePath(out))).toBe(false);
});

describe("an output may not be an input, a device, or another run's file", () => {
  let dir: string;
  let model: string;
  let onnx: string;
  const refused = (run: CliRun, line: string): void => {
    expect(run.stderr).toBe(`headstart: ${line}\n`);
    expect(run.code).toBe(2);
  };
  // A refusal comes before anything runs; the limit only keeps a run that wrongly trains from hanging the suite.
  const cli = (args: string[]): Promise<CliRun> => runCli(args, { timeoutMs: 30_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headstart-outrule-'));
    model = join(dir, 'm.safetensors');
    expect((await runCli(train(model, '--epochs', '1'))).code).toBe(0);
    onnx = join(dir, 'g.onnx');
    expect((await runCli(['export', model, '--format', 'onnx', '--out', onnx])).code).toBe(0);
  });

  /** A copy of the digits data of this test's own, so a test that fails harms no other. */
  async function digits(name: string): Promise<string> {
    const file = join(dir, name);
    await copyFile(join(ROOT, 'data/digits/digits.csv'), file);
    return file;
  }

  /** A copy of the trained model of this test's own. */
  async function modelCopy(name: string): Promise<string> {
    const file = join(dir, name);
    await copyFile(model, file);
    return file;
  }

  /** Run `args`, expect the refusal `line`, and `file`'s bytes as they were. */
  async function expectKept(file: string, args: string[], line: string): Promise<void> {
    const before = await readFile(file);
    refused(await cli(args), line);
    expect((await readFile(file)).equals(before), `${file} changed`).toBe(true);
  }

  test('train refuses an --out that is its --data, --val, --unlabeled or --from, however the path is spelt', async () => {
    const same = (flag: string, out: string, input: string): string =>
      `--out ${out} is the same file as ${flag} ${input}; writing it would destroy the input: choose another --out`;
    const data = await digits('d.csv');
    await mkdir(join(dir, 'sub'), { recursive: true });
    const spelt = `${dir}/sub/../d.csv`;
    await expectKept(
      data,
      ['train', '--strategy', 'full-retrain', '--data', data, '--scale', '16', '--epochs', '1', '--out', spelt],
      same('--data', spelt, data),
    );
    await expectKept(data, train(data, '--epochs', '1', '--val', data), same('--val', data, data));
    // The same file under another name: a hard link.
    const hardLink = join(dir, 'linked.csv');
    await link(data, hardLink);
    await expectKept(data, train(hardLink, '--epochs', '1', '--unlabeled', data), same('--unlabeled', hardLink, data));
    const from = await modelCopy('from.safetensors');
    await expectKept(
      from,
      ['train', '--strategy', 'continued', '--from', from, '--data', data, '--epochs', '1', '--out', from],
      same('--from', from, from),
    );
  });

  test('predict, export and import refuse an --out that is their input', async () => {
    const csv = await digits('p.csv');
    const model = await modelCopy('p.safetensors');
    await expectKept(
      csv,
      ['predict', '--model', model, '--data', csv, '--out', csv],
      `--out ${csv} is the same file as --data ${csv}; writing it would destroy the input: choose another --out`,
    );
    await expectKept(
      model,
      ['predict', '--model', model, '--data', csv, '--out', model],
      `--out ${model} is the same file as --model ${model}; writing it would destroy the input: choose another --out`,
    );
    await expectKept(
      model,
      ['export', model, '--format', 'onnx', '--out', model],
      `--out ${model} is the same file as the checkpoint ${model}; writing it would destroy the input: choose another --out`,
    );
    const graph = join(dir, 'p.onnx');
    await copyFile(onnx, graph);
    await expectKept(
      graph,
      ['import', graph, '--out', graph],
      `--out ${graph} is the same file as the model ${graph}; writing it would destroy the input: choose another --out`,
    );
  });

  test('train refuses an input that is the resume checkpoint of its --out (which it would delete when it ends)', async () => {
    const out = join(dir, 'n.safetensors');
    await copyFile(model, resumePath(out));
    await expectKept(
      resumePath(out),
      ['train', '--strategy', 'continued', '--from', resumePath(out), '--data', 'data/digits/digits.csv', '--epochs', '1', '--out', out],
      `--out ${out}: its resume checkpoint ${resumePath(out)} is the same file as --from ${resumePath(out)}; choose another --out`,
    );
  });

  test('a FIFO as --out stays a FIFO: train, predict, export and import refuse it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const line = `--out ${fifo} is a FIFO (named pipe), not a regular file; give the path of a file to write`;
    refused(await cli(train(fifo, '--epochs', '1')), line);
    refused(await cli(['predict', '--model', model, '--data', 'data/digits/digits.csv', '--out', fifo]), line);
    refused(await cli(['export', model, '--format', 'onnx', '--out', fifo]), line);
    refused(await cli(['import', onnx, '--out', fifo]), line);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  const root = process.getuid?.() === 0;
  test.skipIf(!root && !process.env.CI)(
    'a character device as --out stays a device (needs root for mknod; skipped otherwise)',
    async () => {
      // A device node of our own in a temp folder (the null device's numbers), never a real one under /dev.
      const device = join(dir, 'null');
      execFileSync('mknod', [device, 'c', '1', '3']);
      const line = `--out ${device} is a character device, not a regular file; give the path of a file to write`;
      refused(await cli(train(device, '--epochs', '1')), line);
      refused(await cli(['predict', '--model', model, '--data', 'data/digits/digits.csv', '--out', device]), line);
      refused(await cli(['import', onnx, '--out', device]), line);
      expect(statSync(device).isCharacterDevice()).toBe(true);
    },
  );

  test('a finished model named like the resume checkpoint of --out is kept: train refuses', async () => {
    const out = join(dir, 'x.safetensors');
    await copyFile(model, resumePath(out));
    await expectKept(
      resumePath(out),
      train(out, '--epochs', '1'),
      `--out ${out}: ${resumePath(out)} is a finished model, and this output keeps its resumable checkpoint under that name; rename that file or choose another --out`,
    );
    expect(existsSync(out)).toBe(false);
  });

  test('a file in the place of the lock of --out is kept, however old: train refuses', async () => {
    const out = join(dir, 'y.safetensors');
    await writeFile(`${out}.lock`, 'my notes');
    await utimes(`${out}.lock`, new Date('2020-01-01'), new Date('2020-01-01'));
    await expectKept(
      `${out}.lock`,
      train(out, '--epochs', '1'),
      `--out ${out}: ${out}.lock is a file, not a headstart lock, and this output is locked under that name; rename that file or choose another --out`,
    );
  });

  test('an --out whose resume checkpoint name would be too long is refused before training, naming the limit', async () => {
    // 250 bytes: the name and its lock's fit in 255, its resume checkpoint's does not (it crashed after the first epoch).
    const out = join(dir, `${'a'.repeat(238)}.safetensors`);
    const run = await cli(train(out, '--epochs', '1'));
    refused(
      run,
      `--out ${out}: its resume checkpoint ${resumePath(out)} has a file name of 257 bytes, over the file system limit of 255 (NAME_MAX); choose a shorter --out`,
    );
    expect(jsonLines(run.stdout).some((e) => e.type === 'step')).toBe(false);
  });

  test('rerunning an interrupted run without --resume is refused at once; its progress is kept', async () => {
    const out = join(dir, 'z.safetensors');
    let sent = false;
    const cut = await runCli(train(out, '--epochs', '10000', '--checkpoint-every', '0'), {
      onStdout(chunk, child) {
        if (!sent && chunk.includes('"type":"epoch-end"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(cut.code).toBe(130);
    const state = (await readManifest(resumePath(out))).manifest.training!;
    const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    const again = await runCli(train(out, '--epochs', '10000', '--checkpoint-every', '0'), { timeoutMs: 30_000 });
    const before = await readFile(resumePath(out));
    refused(
      again,
      `--out ${out}: an interrupted run left ${resumePath(out)} (${plural(state.epoch, 'epoch')} and ${plural(state.step, 'step')} done in phase ${state.phase}); continue it with --resume, or delete that file to start over`,
    );
    expect(jsonLines(again.stdout)).toEqual([]);
    expect((await readFile(resumePath(out))).equals(before)).toBe(true);
  });
});

test('rerunning an interrupted pipeline without --resume is refused before any stage trains again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-outrule-run-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    `scale: 16
out: ${join(dir, 'out')}
stages:
  - { name: a, strategy: full-retrain, data: ${join(ROOT, 'data/digits/digits.csv')}, options: { epochs: 1 } }
  - { name: b, strategy: continued, data: ${join(ROOT, 'data/digits/digits.csv')}, options: { epochs: 10000 } }
`,
  );
  const args = ['run', file, '--checkpoint-every', '0', '--json'];
  let sent = false;
  let seen = '';
  const cut = await runCli(args, {
    onStdout(chunk, child) {
      seen += chunk;
      if (!sent && jsonLines(seen.slice(0, seen.lastIndexOf('\n') + 1)).some((e) => e.type === 'epoch-end' && e.stage === 1)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  expect(cut.code).toBe(130);
  const first = join(dir, 'out', '1-a.safetensors');
  const kept = await readFile(first);
  const again = await runCli(args, { timeoutMs: 30_000 });
  const out = join(dir, 'out');
  expect(again.stderr).toBe(
    `headstart: ${file}: ${out} holds stages of an earlier run (1-a.safetensors, 2-b.resume.safetensors); continue it with --resume, or start over: delete ${out} or choose another out\n`,
  );
  expect(again.code).toBe(2);
  expect(jsonLines(again.stdout).some((e) => e.type === 'stage-start')).toBe(false);
  expect((await readFile(first)).equals(kept)).toBe(true);
});
