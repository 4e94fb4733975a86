import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resumePath } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { jsonLines, runCli, type CliRun } from './run-cli.js';

const digits = ['--data', 'data/digits/digits.csv', '--scale', '16'];

/** Run the CLI and send `signal` the first time `when` holds for an event line. */
function runUntil(
  args: string[],
  when: (event: Record<string, unknown>, seen: number) => boolean,
  signal: NodeJS.Signals,
): Promise<CliRun & { sent: boolean }> {
  let seen = 0;
  let sent = false;
  return runCli(args, {
    onStdout(chunk, child) {
      for (const line of chunk.split('\n').filter((l) => l.startsWith('{'))) {
        if (!sent && when(JSON.parse(line) as Record<string, unknown>, ++seen)) {
          sent = true;
          child.kill(signal);
        }
      }
    },
  }).then((run) => ({ ...run, sent }));
}

async function expectSameWeights(want: string, got: string): Promise<void> {
  const [a, b] = [await readCheckpoint(want), await readCheckpoint(got)];
  expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
  for (const [name, tensor] of a.weights)
    expect(Buffer.from(b.weights.get(name)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), name).toBe(true);
}

describe.each(['onnx', 'tfjs'])('exact resume on %s', (backend) => {
  test('a run killed with SIGKILL mid-epoch and resumed ends bit-identical to an uninterrupted one', async () => {
    const dir = await mkdtemp(join(tmpdir(), `headstart-kill-${backend}-`));
    const args = (out: string): string[] => [
      'train',
      '--strategy',
      'full-retrain',
      ...digits,
      '--epochs',
      '3',
      '--seed',
      '5',
      '--backend',
      backend,
      '--checkpoint-every',
      '7',
      '--out',
      out,
      '--json',
    ];
    const reference = join(dir, 'reference.safetensors');
    expect((await runCli(args(reference))).code).toBe(0);

    const out = join(dir, 'killed.safetensors');
    // Kill a few steps after the second periodic checkpoint of epoch 2: the steps since are lost and redone.
    let checkpoints = 0;
    const killed = await runUntil(
      args(out),
      (e) => (e.type === 'checkpoint' && e.epoch === 1 ? ++checkpoints : checkpoints) >= 2 && e.type === 'step',
      'SIGKILL',
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const partial = await readCheckpoint(resumePath(out));
    expect(partial.manifest.training).toMatchObject({ epoch: 1, complete: false });
    expect(partial.manifest.training!.cursor).toBeGreaterThan(0);

    const resumed = await runCli([...args(out), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectSameWeights(reference, out);
    // The resumed epoch reports the whole epoch's training metrics, not just the steps run after the restart.
    const epoch = (run: CliRun) => jsonLines(run.stdout).find((e) => e.type === 'epoch-end' && e.epoch === 1)?.metrics;
    expect(epoch(resumed)).toEqual(epoch(await runCli(args(join(dir, 'again.safetensors')))));
    expect((await readCheckpoint(out)).manifest.training).toMatchObject({ epoch: 3, step: 3 * 51 });
  });

  test('Ctrl-C mid-epoch is honoured at once, not at the end of the epoch', async () => {
    const dir = await mkdtemp(join(tmpdir(), `headstart-int-${backend}-`));
    const out = join(dir, 'm.safetensors');
    const args = [
      'train',
      '--strategy',
      'full-retrain',
      ...digits,
      '--epochs',
      '2',
      '--seed',
      '5',
      '--backend',
      backend,
      '--checkpoint-every',
      '0',
      '--out',
      out,
      '--json',
    ];
    const interrupted = await runUntil(args, (e) => e.type === 'step' && e.step === 10, 'SIGINT');
    expect(interrupted.code).toBe(130);
    const state = (await readCheckpoint(resumePath(out))).manifest.training!;
    expect(state.epoch).toBe(0);
    expect(state.cursor).toBeGreaterThanOrEqual(10);
    expect(state.cursor).toBeLessThan(51);
  });
});

test("early stopping resumes exactly: the best epoch's weights survive the interruption", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-es-'));
  // With this seed the validation loss is best after epoch 3 and worse after 4 and 5: patience 2 stops after 5.
  const args = (out: string): string[] => [
    'train',
    '--strategy',
    'full-retrain',
    ...digits,
    '--epochs',
    '12',
    '--lr',
    '0.01',
    '--set',
    'patience=2',
    '--seed',
    '3',
    '--out',
    out,
    '--json',
  ];
  const reference = join(dir, 'reference.safetensors');
  const uninterrupted = await runCli(args(reference));
  expect(jsonLines(uninterrupted.stdout).find((e) => e.type === 'early-stop')).toMatchObject({ epoch: 4, bestEpoch: 2 });

  const out = join(dir, 'm.safetensors');
  const interrupted = await runUntil(args(out), (e) => e.type === 'epoch-end' && e.epoch === 3, 'SIGINT');
  expect(interrupted.code).toBe(130);
  const resumed = await runCli([...args(out), '--resume']);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(jsonLines(resumed.stdout).find((e) => e.type === 'early-stop')).toMatchObject({ epoch: 4, bestEpoch: 2 });
  await expectSameWeights(reference, out);
});

test('--resume refuses a resumable checkpoint written by a different run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-other-'));
  const out = join(dir, 'm.safetensors');
  const args = ['train', '--strategy', 'full-retrain', ...digits, '--epochs', '3', '--seed', '5', '--out', out, '--json'];
  expect((await runUntil(args, (e) => e.type === 'epoch-end', 'SIGINT')).code).toBe(130);
  const other = await runCli([...args.map((a) => (a === '5' ? '6' : a)), '--resume']);
  expect(other.code).toBe(2);
  expect(other.stderr).toBe(
    `headstart: --resume: ${resumePath(out)} belongs to another run (its seed 5, this run's 6); resume with the same flags and data, or delete it to start over\n`,
  );
  const otherLr = await runCli([...args, '--lr', '0.1', '--resume']);
  expect(otherLr.code).toBe(2);
  expect(otherLr.stderr).toBe(
    `headstart: --resume: ${resumePath(out)} belongs to another run (its options: lr 0.001; this run's: lr 0.1); resume with the same flags and data, or delete it to start over\n`,
  );
  const otherBackend = await runCli([...args, '--backend', 'tfjs', '--resume']);
  expect(otherBackend.code).toBe(2);
  expect(otherBackend.stderr).toBe(
    `headstart: --resume: ${resumePath(out)} belongs to another run (its backend "onnx", this run's "tfjs"); resume with the same flags and data, or delete it to start over\n`,
  );
  const otherSplit = await runCli([...args, '--val-split', '0.2', '--resume']);
  expect(otherSplit.code).toBe(2);
  expect(otherSplit.stderr).toContain(
    'belongs to another run (its training samples differ: another --labels, --per-class, --val-split or changed data)',
  );
});

test('--resume refuses another --from: the weights it started from, named by sha-256, are part of the run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-otherfrom-'));
  const base = async (seed: string): Promise<string> => {
    const file = join(dir, `base-${seed}.safetensors`);
    const made = await runCli(['train', '--strategy', 'full-retrain', ...digits, '--epochs', '1', '--seed', seed, '--out', file]);
    expect(made.code, made.stderr).toBe(0);
    return file;
  };
  const [first, second] = [await base('1'), await base('2')];
  const out = join(dir, 'm.safetensors');
  const args = (from: string) => [
    'train',
    '--strategy',
    'continued',
    '--from',
    from,
    ...digits,
    '--epochs',
    '3',
    '--lr',
    '0.001',
    '--out',
    out,
    '--json',
  ];
  expect((await runUntil(args(first), (e) => e.type === 'epoch-end', 'SIGINT')).code).toBe(130);
  const other = await runCli([...args(second), '--resume']);
  expect(other.code).toBe(2);
  const [shaFirst, shaSecond] = [(await readCheckpoint(first)).sha256, (await readCheckpoint(second)).sha256];
  expect(other.stderr).toBe(
    `headstart: --resume: ${resumePath(out)} belongs to another run (its starting checkpoint (--from) "${shaFirst.slice(0, 56)}..., this run's "${shaSecond.slice(0, 56)}...); resume with the same flags and data, or delete it to start over\n`,
  );
});

test('--resume refuses to continue the saved training state on another model', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-othermodel-'));
  const spec = (activation: string): string =>
    `inputShape: [64]\nlayers:\n  - { type: dense, name: enc, units: 32, activation: ${activation} }\n  - { type: dense, name: head, units: 10, activation: softmax }\n`;
  await writeFile(join(dir, 'relu.yaml'), spec('relu'));
  await writeFile(join(dir, 'tanh.yaml'), spec('tanh'));
  const out = join(dir, 'm.safetensors');
  const args = (model: string): string[] => [
    'train',
    '--strategy',
    'full-retrain',
    ...digits,
    '--epochs',
    '5',
    '--model',
    join(dir, model),
    '--out',
    out,
    '--json',
  ];
  expect((await runUntil(args('relu.yaml'), (e) => e.type === 'epoch-end', 'SIGINT')).code).toBe(130);
  const other = await runCli([...args('tanh.yaml'), '--resume']);
  expect(other.code).toBe(2);
  expect(other.stderr).toBe(
    `headstart: --resume: ${resumePath(out)} was training another model (a different --model, --from or --input-shape); resume with the same flags, or delete it to start over\n`,
  );
  expect((await runCli([...args('relu.yaml'), '--resume'])).code).toBe(0);
});
