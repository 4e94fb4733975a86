import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resumePath } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli, type CliRun } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const digits = ['--data', DIGITS, '--scale', '16', '--backend', 'onnx'];

interface LrFindOutput {
  strategy: string;
  phase: string;
  lr: number;
  rule: string;
  stopped: string;
  groups: { name: string; ratio: number }[];
  points: { lr: number; loss: number; smoothed: number }[];
}

function result(run: CliRun): LrFindOutput {
  return jsonLines(run.stdout).find((e) => e.type === 'result') as unknown as LrFindOutput;
}

function logs(run: CliRun): string[] {
  return jsonLines(run.stdout).flatMap((e) => (e.type === 'log' ? [String(e.message)] : []));
}

/** Opening and closing tags balance, and the document is one svg element: enough to say a viewer reads it. */
function expectWellFormedSvg(text: string): void {
  expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(text.trimEnd().endsWith('</svg>')).toBe(true);
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of text.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) expect(open.pop()).toBe(name);
    else open.push(name!);
  }
  expect(open).toEqual([]);
  expect(text).not.toMatch(/NaN|Infinity|undefined/);
}

async function sameWeights(a: string, b: string): Promise<boolean> {
  const [x, y] = [await readCheckpoint(a), await readCheckpoint(b)];
  return [...x.weights].every(([name, t]) => Buffer.from(t.data.buffer).equals(Buffer.from(y.weights.get(name)!.data.buffer)));
}

// One range test and one `--lr auto` run, shared: each CLI run costs seconds on a loaded machine.
describe('lr-find and --lr auto', () => {
  let dir: string;
  let found: LrFindOutput;
  let finder: CliRun;
  const auto = (): string => join(dir, 'auto.safetensors');
  const train = (out: string, ...extra: string[]): string[] => [
    'train',
    '--strategy',
    'full-retrain',
    ...digits,
    '--epochs',
    '3',
    '--checkpoint-every',
    '7',
    '--out',
    out,
    '--json',
    ...extra,
  ];
  let trained: CliRun;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headstart-lr-find-'));
    await mkdir(join(dir, 'finder'));
    [finder, trained] = await Promise.all([
      runCli(['lr-find', '--strategy', 'full-retrain', ...digits, '--svg', 'curve.svg', '--json'], { cwd: join(dir, 'finder') }),
      runCli(train(auto(), '--lr', 'auto')),
    ]);
    expect(finder.code, finder.stderr).toBe(0);
    expect(trained.code, trained.stderr).toBe(0);
    found = result(finder);
  });

  test('lr-find prints the curve, the rule and the rate it suggests, and writes a valid SVG and nothing else', async () => {
    expect(found).toMatchObject({ strategy: 'full-retrain', phase: 'train', rule: 'valley' });
    expect(found.lr).toBeGreaterThan(1e-5);
    expect(found.lr).toBeLessThan(1);
    // Rates grow exponentially from 1e-7; the test ends at 100 steps or once the loss diverges.
    expect(found.points[0]!.lr).toBe(1e-7);
    expect(found.points[1]!.lr / found.points[0]!.lr).toBeCloseTo(1e8 ** (1 / 99), 10);
    expect(found.points.length).toBeLessThanOrEqual(100);
    if (found.stopped === 'end') expect(found.points.length).toBe(100);
    expect(finder.stderr).toContain('rule: valley: the longest descending stretch of the smoothed loss');
    expect(finder.stderr).toContain(`suggested lr: ${found.lr}\n`);
    expect(finder.stderr).toContain('smoothed loss against learning rate (log scale)');
    expect(await readdir(join(dir, 'finder'))).toEqual(['curve.svg']);
    const text = await readFile(join(dir, 'finder', 'curve.svg'), 'utf8');
    expectWellFormedSvg(text);
    expect(text).toContain(`suggested lr ${found.lr} (valley rule)`);
    expect(text.match(/<polyline/g)).toHaveLength(2);
    expect(text.match(/<polyline[^>]*points="([^"]*)"/)![1]!.split(' ')).toHaveLength(found.points.length);
  });

  test('train --lr auto runs the same test (the same suggestion), trains at it as --lr with that rate would, and records it; inspect shows it', async () => {
    const { lr } = found;
    const ended = found.stopped === 'diverged' ? `the loss diverged after ${found.points.length} steps` : '100 steps';
    expect(logs(trained)).toContain(`lr: auto: lr-find chose lr ${lr} (valley rule) from phase "train" (${ended})`);
    const entry = (await readCheckpoint(auto())).manifest.provenance.at(-1)!;
    expect(entry.options.lr).toBe(lr);
    expect(entry.lrFind).toEqual({ lr, rule: 'valley', startLr: 1e-7, endLr: 10, steps: 100, tested: found.points.length, phase: 'train' });
    const explicit = join(dir, 'explicit.safetensors');
    const [run, inspect] = await Promise.all([runCli(train(explicit, '--lr', String(lr))), runCli(['inspect', auto()])]);
    expect(run.code, run.stderr).toBe(0);
    expect(await sameWeights(auto(), explicit)).toBe(true);
    expect(inspect.stdout).toContain(
      `lr: auto → ${lr} (lr-find, valley rule, lr 1e-7 → 10, ${found.points.length} of 100 steps of phase "train")`,
    );
  });

  test('--resume continues at the rate recorded, without testing again, bit-identical to the run never interrupted', async () => {
    const out = join(dir, 'killed.safetensors');
    let sent = false;
    const killed = await runCli(train(out, '--lr', 'auto'), {
      onStdout(chunk, child) {
        // Killed after the first periodic checkpoint, long before the run would end.
        if (!sent && chunk.includes('"type":"checkpoint"')) {
          sent = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(resumePath(out))).toBe(true);
    expect((await readCheckpoint(resumePath(out))).manifest.provenance.at(-1)!.lrFind!.lr).toBe(found.lr);
    const resumed = await runCli(train(out, '--lr', 'auto', '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(logs(resumed).filter((m) => m.includes('lr-find'))).toEqual([]);
    expect((await readCheckpoint(out)).manifest.provenance.at(-1)!.lrFind!.lr).toBe(found.lr);
    expect(await sameWeights(auto(), out)).toBe(true);
  });

  test('continued, which chooses its rate from the data, is tested (and trained by --lr auto) at a given rate', async () => {
    const run = await runCli(['lr-find', '--strategy', 'continued', '--from', auto(), ...digits, '--steps', '20', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(result(run)).toMatchObject({ strategy: 'continued', phase: 'continue' });
  });

  test('with --augment, the test trains on augmented batches as train would', async () => {
    const images = [...digits, '--input-shape', '8,8,1', '--json'];
    const [plain, augmented] = await Promise.all([
      runCli(['lr-find', '--strategy', 'full-retrain', ...images], { cwd: dir }),
      runCli(['lr-find', '--strategy', 'full-retrain', ...images, '--augment', 'crop=1,shift=1'], { cwd: dir }),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(augmented.code, augmented.stderr).toBe(0);
    // The first step trains on the same samples in the same order: only their pixels differ.
    expect(result(augmented).points[0]!.loss).not.toBe(result(plain).points[0]!.loss);
  });

  test('--dry-run says the rate will be found by lr-find, and writes nothing', async () => {
    const out = join(dir, 'dry.safetensors');
    const run = await runCli(train(out, '--lr', 'auto', '--dry-run'));
    expect(run.code, run.stderr).toBe(0);
    expect(logs(run)).toContain(
      "lr: auto: an lr-find range test (valley rule, lr 1e-7 → 10 over 100 steps) will choose the rate before training; the rates below are the strategy's default",
    );
    expect(existsSync(out)).toBe(false);
  });

  test('pipeline stages with lr: auto find their rates and record them; lr-find tests the phase lr sets (lp-ft: the fine-tuning, after its probe), groups together', async () => {
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `scale: 16
out: pipeline-out
seed: 7
backend: onnx
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, labels: [0, 1, 2, 3, 4], options: { epochs: 1, lr: auto } }
  - { name: head, strategy: frozen-base, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 2, lr: auto } }
`,
    );
    const run = await runCli(['run', file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    for (const [stage, phase] of [
      ['1-pretrain', 'train'],
      ['2-head', 'head'],
    ] as const) {
      const entry = (await readCheckpoint(join(dir, 'pipeline-out', `${stage}.safetensors`))).manifest.provenance.at(-1)!;
      expect(entry.lrFind?.phase).toBe(phase);
      expect(entry.options.lr).toBe(entry.lrFind!.lr);
    }
    const lpFt = await runCli([
      'lr-find',
      '--strategy',
      'lp-ft',
      '--from',
      join(dir, 'pipeline-out', '1-pretrain.safetensors'),
      ...digits,
      '--set',
      'probeEpochs=1',
      '--set',
      'lrMult=0.5',
      '--steps',
      '40',
      '--json',
    ]);
    expect(lpFt.code, lpFt.stderr).toBe(0);
    expect(result(lpFt).phase).toBe('finetune');
    // Discriminative rates: each group below the top one at half the rate above, all scaled by the same factor.
    expect(result(lpFt).groups.map((g) => g.ratio)).toEqual([1, 0.5, 0.25]);
    expect(lpFt.stderr).toContain('its 3 parameter groups moved together at their ratios');
  });
});

describe('bad input: one line, exit 2', () => {
  const sha = async (file: string): Promise<string> =>
    createHash('sha256')
      .update(await readFile(file))
      .digest('hex');

  test.each([
    [
      ['train', '--strategy', 'full-retrain', ...digits, '--lr', 'autox', '--out', 'never.safetensors'],
      'headstart: strategy full-retrain: option lr: expected a number or "auto", got "autox"',
    ],
    [
      ['lr-find', '--strategy', 'full-retrain', ...digits, '--start-lr', '1', '--end-lr', '0.1'],
      'headstart: --start-lr 1 must be below --end-lr 0.1: the test raises the rate from one to the other',
    ],
    [
      ['lr-find', '--strategy', 'full-retrain', ...digits, '--steps', '-5'],
      'headstart: --steps: expected a whole number of at least 10, got "-5"',
    ],
    [
      ['lr-find', '--strategy', 'full-retrain', ...digits, '--rule', 'steepest'],
      'headstart: --rule: expected valley or minimum, got "steepest"',
    ],
    [
      ['lr-find', '--strategy', 'full-retrain', ...digits, '--set', 'lr=0.1'],
      'headstart: --set lr=0.1: lr-find tries every rate from --start-lr to --end-lr; leave lr out',
    ],
    [
      ['lr-find', '--strategy', 'full-retrain', ...digits, '--start-lr', '100', '--end-lr', '1e9', '--steps', '20'],
      /^headstart: lr-find: the loss diverged after \d+ of 20 steps \(from lr 100\), too early for the valley rule to read the curve; start lower or take more steps$/,
    ],
  ])('%j', async (args, line) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    if (typeof line === 'string') expect(run.stderr.trim()).toBe(line);
    else expect(run.stderr.trim()).toMatch(line);
  });

  test('--svg naming the data is refused before anything runs, and the data is untouched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-lr-find-svg-'));
    const data = join(dir, 'digits.csv');
    await writeFile(data, await readFile(DIGITS));
    const before = await sha(data);
    const run = await runCli(['lr-find', '--strategy', 'full-retrain', '--data', data, '--scale', '16', '--svg', data]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `headstart: --svg ${data} is the same file as --data ${data}; writing it would destroy the input: choose another --svg`,
    );
    expect(await sha(data)).toBe(before);
  });

  test('a pipeline stage with lr: autox is refused when the file is read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-lr-auto-bad-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, `stages:\n  - { name: a, strategy: full-retrain, data: ${DIGITS}, options: { lr: autox } }\n`);
    const run = await runCli(['run', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`headstart: ${file}: stages[0] "a": options.lr: expected a number or "auto", got "autox"`);
  });
});
