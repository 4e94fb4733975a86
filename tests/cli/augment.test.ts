import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resumePath } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { jsonLines, runCli, type CliRun } from './run-cli.js';

const images = ['--data', 'data/digits/digits.csv', '--scale', '16', '--input-shape', '8,8,1'];

/** `train` for two epochs of 51 steps, long enough to be killed mid-epoch. */
function train(out: string, ...more: string[]): string[] {
  return [
    'train',
    '--strategy',
    'full-retrain',
    ...images,
    '--epochs',
    '2',
    '--seed',
    '5',
    '--backend',
    'onnx',
    '--out',
    out,
    '--json',
    ...more,
  ];
}

/** Run the CLI and SIGKILL it the first time `when` holds for an event line. */
function killWhen(args: string[], when: (event: Record<string, unknown>) => boolean): Promise<CliRun> {
  let sent = false;
  return runCli(args, {
    onStdout(chunk, child) {
      for (const line of chunk.split('\n').filter((l) => l.startsWith('{'))) {
        if (!sent && when(JSON.parse(line) as Record<string, unknown>)) {
          sent = true;
          child.kill('SIGKILL');
        }
      }
    },
  });
}

async function weightBytes(file: string): Promise<Map<string, Buffer>> {
  const { weights } = await readCheckpoint(file);
  return new Map([...weights].map(([name, t]) => [name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

/** The one line a refused run printed, after checking it exited 2 with one line. */
function refusal(run: CliRun): string {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  return run.stderr.trim();
}

describe('--augment', () => {
  test('a run killed mid-epoch and resumed ends bit-identical to an uninterrupted one; the checkpoint records the augmentation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-augment-'));
    const augmented = (out: string): string[] => train(out, '--augment', 'flip,crop=1,shift=1', '--checkpoint-every', '7');
    const reference = join(dir, 'reference.safetensors');
    expect((await runCli(augmented(reference))).code).toBe(0);
    const plain = join(dir, 'plain.safetensors');
    expect((await runCli(train(plain))).code).toBe(0);
    // The augmentation changed what trained.
    expect((await weightBytes(plain)).get('head.kernel')!.equals((await weightBytes(reference)).get('head.kernel')!)).toBe(false);

    const out = join(dir, 'killed.safetensors');
    let checkpoints = 0;
    const killed = await killWhen(
      augmented(out),
      (e) => (e.type === 'checkpoint' && e.epoch === 1 ? ++checkpoints : checkpoints) >= 2 && e.type === 'step',
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    expect((await readCheckpoint(resumePath(out))).manifest.training).toMatchObject({ epoch: 1, complete: false });

    const resumed = await runCli([...augmented(out), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await weightBytes(out)).toEqual(await weightBytes(reference));
    const { manifest } = await readCheckpoint(out);
    expect(manifest.provenance.at(-1)!.augment).toBe('augment flip,crop=1,shift=1');
    const inspect = await runCli(['inspect', out]);
    expect(inspect.stdout).toMatch(/1\. full-retrain on onnx .*, augment flip,crop=1,shift=1, /);
  });

  test('a resume with another augmentation is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-augment-other-'));
    const out = join(dir, 'm.safetensors');
    const killed = await killWhen(train(out, '--augment', 'crop=1', '--checkpoint-every', '5'), (e) => e.type === 'checkpoint');
    expect(killed.signal).toBe('SIGKILL');
    expect(refusal(await runCli([...train(out, '--augment', 'crop=2'), '--resume']))).toBe(
      `headstart: --resume: ${resumePath(out)} belongs to another run (its augmentation "augment crop=1", this run's "augment crop=2"); resume with the same flags and data, or delete it to start over`,
    );
  });

  test('--dry-run shows what changes the training batches of each phase', async () => {
    const run = await runCli(['train', '--strategy', 'full-retrain', ...images, '--augment', 'shift=1,flip', '--dry-run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const plans = jsonLines(run.stdout).filter((e) => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.transform])).toEqual([['train', 'augment flip,shift=1']]);
  });

  test('frozen-base trains its head on augmented images through the frozen base, not on features cached once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-augment-frozen-'));
    const run = await runCli([
      'train',
      '--strategy',
      'frozen-base',
      '--from',
      'tests/fixtures/torch/mini-resnet.bn.opset17.onnx',
      '--data',
      'data/digits/digits.csv',
      '--scale',
      '16',
      '--augment',
      'crop=1',
      '--epochs',
      '1',
      '--out',
      join(dir, 'm.safetensors'),
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const logs = jsonLines(run.stdout)
      .filter((e) => e.type === 'log')
      .map((e) => e.message);
    expect(logs).toContain('head: the training images are augmented, so the frozen base runs on every batch');
    expect(logs.some((m) => String(m).includes('features were computed once'))).toBe(false);
  });

  test('a phase that trains on other samples than the images (greedy layer-wise pre-training) is refused before training', async () => {
    const args = ['train', '--strategy', 'pretrain-finetune', ...images, '--unlabeled', 'data/digits/digits.csv'];
    expect(refusal(await runCli([...args, '--set', 'greedy=true', '--augment', 'crop=1', '--dry-run']))).toBe(
      'headstart: augment crop=1: phase "pretrain-conv2" trains on samples of shape [4, 4, 16], not on the data\'s [8, 8, 1], so it cannot augment them; leave out the augmentation for this strategy',
    );
  });

  test('refuses flat tabular samples', async () => {
    expect(
      refusal(
        await runCli(['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--augment', 'crop=1', '--dry-run']),
      ),
    ).toBe(
      'headstart: --augment crop=1: augmentation needs images of shape [height, width, channels], but the samples have shape [64]; give the image shape (--input-shape 8,8,1 for 8×8 digits)',
    );
  });
});

describe('augment in pipelines and experiments', () => {
  test("a stage's augment trains its batches, is shown by --dry-run and refused when malformed, naming the stage", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-augment-pipeline-'));
    const file = join(dir, 'pipeline.yaml');
    const pipeline = (augment: string): string => `scale: 16
inputShape: [8, 8, 1]
out: ${join(dir, 'out')}
stages:
  - { name: base, strategy: full-retrain, data: ${join(process.cwd(), '..', 'data/digits/digits.csv')}, labels: [0, 1, 2], options: { epochs: 1 } }
  - { name: tune, strategy: continued, data: ${join(process.cwd(), '..', 'data/digits/digits.csv')}, labels: [3, 4], augment: "${augment}", options: { epochs: 1 } }
`;
    await writeFile(file, pipeline('crop=2'));
    const dry = await runCli(['run', file, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      jsonLines(dry.stdout)
        .filter((e) => e.type === 'plan')
        .map((p) => p.transform ?? null),
    ).toEqual([null, 'augment crop=2']);
    await writeFile(file, pipeline('crop=-1'));
    expect(refusal(await runCli(['run', file, '--dry-run']))).toBe(
      `headstart: ${file}: stages[1] "tune": augment crop=-1: crop takes a whole number of pixels from 1 (like crop=2), got "-1"`,
    );
  });

  test("an experiment arm's augment is refused before anything trains when the data holds no images", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-augment-compare-'));
    const file = join(dir, 'experiment.yaml');
    await writeFile(
      file,
      `data: ${join(process.cwd(), '..', 'data/digits/digits.csv')}
source: { labels: [0, 1] }
target: { labels: [2, 3], budgets: [2] }
strategies: [{ strategy: full-retrain, name: augmented, augment: flip }]
seeds: [1]
`,
    );
    expect(refusal(await runCli(['compare', file, '--out', join(dir, 'out')]))).toBe(
      'headstart: strategies "augmented": augment flip: augmentation needs images of shape [height, width, channels], but the samples have shape [64]; give the image shape (--input-shape 8,8,1 for 8×8 digits)',
    );
    expect(existsSync(join(dir, 'out', 'checkpoints'))).toBe(false);
  });
});
