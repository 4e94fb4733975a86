import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// A user's project that depends on the example third-party strategy package, as `npm install
// ../examples/strategy-self-training` would leave it: a `file:` dependency, linked into node_modules.
const EXAMPLE = join(ROOT, 'examples', 'strategy-self-training');
const PACKAGE = 'headstart-strategy-self-training';

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'headstart-plugin-project-'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-digits', private: true, type: 'module', dependencies: { [PACKAGE]: `file:${EXAMPLE}` } }, null, 2),
  );
  await mkdir(join(project, 'node_modules'));
  await symlink(EXAMPLE, join(project, 'node_modules', PACKAGE), 'dir');

  // Every fourth row held out for testing; of the rest, the first 5 of each digit labelled and all unlabelled.
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  const train = rows.filter((_, i) => i % 4 !== 0);
  const taken = new Map<string, number>();
  const few = train.filter((row) => {
    const label = row.slice(row.lastIndexOf(',') + 1);
    taken.set(label, (taken.get(label) ?? 0) + 1);
    return taken.get(label)! <= 5;
  });
  await writeFile(join(project, 'few.csv'), `${[header, ...few].join('\n')}\n`);
  await writeFile(join(project, 'pool.csv'), `${[header, ...train].join('\n')}\n`);
  await writeFile(join(project, 'test.csv'), `${[header, ...rows.filter((_, i) => i % 4 === 0)].join('\n')}\n`);
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('a third-party strategy package in a project’s dependencies', () => {
  test('headstart plugins --json lists it with its package, version and origin', async () => {
    const run = await runCli(['plugins', '--json'], { cwd: project });
    expect(run.code).toBe(0);
    const { plugins, errors } = JSON.parse(run.stdout) as { plugins: Record<string, unknown>[]; errors: string[] };
    expect(errors).toEqual([]);
    expect(plugins.find((p) => p.name === 'self-training')).toEqual({
      kind: 'strategy',
      name: 'self-training',
      source: PACKAGE,
      version: '0.1.0',
      origin: 'dependency',
      status: 'active',
      priority: 0,
    });
    // The built-ins are still there beside it.
    expect(plugins.find((p) => p.name === 'full-retrain')).toMatchObject({ source: '@headstart/strategies', origin: 'builtin' });
  });

  test('headstart train --strategy self-training trains with it on the digits, well above the labels alone', async () => {
    const out = join(project, 'self-trained.safetensors');
    const trained = await runCli(
      [
        'train',
        '--strategy',
        'self-training',
        '--data',
        'few.csv',
        '--unlabeled',
        'pool.csv',
        '--val-split',
        '0',
        '--scale',
        '16',
        '--backend',
        'onnx',
        '--epochs',
        '40',
        '--set',
        'rounds=3',
        '--out',
        out,
        '--json',
      ],
      { cwd: project },
    );
    expect(trained.stderr).toMatch(/^saved .*self-trained\.safetensors — loss [0-9.]+ accuracy [0-9.]+ pseudoLabels [0-9.]+\n$/);
    expect(trained.code).toBe(0);
    const events = jsonLines(trained.stdout);
    expect(events[0]).toMatchObject({ type: 'run-start', strategy: 'self-training', backend: 'onnx', samples: 50 });
    // 40 epochs on the labels, then 3 rounds of 10 with pseudo-labels, each announced.
    expect(events.filter((e) => e.type === 'epoch-end')).toHaveLength(70);
    const rounds = events.filter((e) => e.type === 'log').map((e) => String(e.message));
    expect(rounds).toHaveLength(3);
    rounds.forEach((message, i) =>
      expect(message).toMatch(
        new RegExp(
          `^self-training round ${i + 1}/3: \\d+ of 1347 unlabelled samples pseudo-labelled \\(at most \\d+ a class\\); per class 0:\\d+ .* 9:\\d+$`,
        ),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: 'result', checkpoint: out });

    // Against the built-in full-retrain on the same 50 labels for the same first 40 epochs: the pseudo-labels help a lot.
    const baseline = join(project, 'labels-alone.safetensors');
    const alone = await runCli(
      [
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        'few.csv',
        '--val-split',
        '0',
        '--scale',
        '16',
        '--backend',
        'onnx',
        '--epochs',
        '40',
        '--out',
        baseline,
        '--json',
      ],
      { cwd: project },
    );
    expect(alone.code).toBe(0);
    const accuracy = async (model: string): Promise<number> => {
      const evaluated = await runCli(['evaluate', '--model', model, '--data', 'test.csv', '--json'], { cwd: project });
      expect(evaluated.code).toBe(0);
      return (JSON.parse(evaluated.stdout) as { accuracy: number }).accuracy;
    };
    const [selfTrained, labelsAlone] = [await accuracy(out), await accuracy(baseline)];
    expect(selfTrained).toBeGreaterThanOrEqual(0.75);
    expect(selfTrained - labelsAlone).toBeGreaterThanOrEqual(0.05);

    const inspected = await runCli(['inspect', out, '--json'], { cwd: project });
    const { manifest } = JSON.parse(inspected.stdout) as {
      manifest: { provenance: { strategy: string; strategyVersion: string; options: Record<string, unknown> }[] };
    };
    expect(manifest.provenance).toEqual([
      expect.objectContaining({
        strategy: 'self-training',
        strategyVersion: '0.1.0',
        options: expect.objectContaining({ rounds: 3, epochs: 40 }),
      }),
    ]);
  });

  test('a project without the dependency does not have the strategy (exit 2, naming the known ones)', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'headstart-bare-project-'));
    try {
      await writeFile(join(bare, 'package.json'), '{ "name": "bare", "private": true }\n');
      const run = await runCli(['train', '--strategy', 'self-training', '--data', join(project, 'few.csv')], { cwd: bare });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^headstart: unknown strategy "self-training"; available: .*full-retrain/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
