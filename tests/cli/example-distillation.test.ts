import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// A user's project that depends on the example distillation strategy, as `npm install
// ../examples/strategy-distillation` would leave it: a `file:` dependency, linked into node_modules.
const EXAMPLE = join(ROOT, 'examples', 'strategy-distillation');
const PACKAGE = 'headstart-strategy-distillation';

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'headstart-distillation-project-'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-digits', private: true, type: 'module', dependencies: { [PACKAGE]: `file:${EXAMPLE}` } }, null, 2),
  );
  await mkdir(join(project, 'node_modules'));
  await symlink(EXAMPLE, join(project, 'node_modules', PACKAGE), 'dir');

  // Every fourth row held out for testing; of the rest, the first 20 of each digit; and the digits 0-4 alone.
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  const label = (row: string) => row.slice(row.lastIndexOf(',') + 1);
  const taken = new Map<string, number>();
  const few = rows
    .filter((_, i) => i % 4 !== 0)
    .filter((row) => {
      taken.set(label(row), (taken.get(label(row)) ?? 0) + 1);
      return taken.get(label(row))! <= 20;
    });
  await writeFile(join(project, 'few.csv'), `${[header, ...few].join('\n')}\n`);
  await writeFile(join(project, 'test.csv'), `${[header, ...rows.filter((_, i) => i % 4 === 0)].join('\n')}\n`);
  await writeFile(join(project, 'low.csv'), `${[header, ...few.filter((row) => Number(label(row)) < 5)].join('\n')}\n`);
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

const common = ['--val-split', '0', '--scale', '16', '--backend', 'onnx', '--json'];

describe('the example distillation strategy, from a project’s dependencies', () => {
  test('trains a teacher, distils it into a small student, and --from takes a trained model as the teacher', async () => {
    const out = join(project, 'student.safetensors');
    const run = await runCli(
      ['train', '--strategy', 'distillation', '--data', 'few.csv', ...common, '--epochs', '60', '--set', 'teacherEpochs=20', '--out', out],
      { cwd: project },
    );
    expect(run.stderr).toMatch(/^saved .*student\.safetensors — loss [0-9.]+ accuracy [0-9.]+\n$/);
    expect(run.code).toBe(0);
    const events = jsonLines(run.stdout);
    expect(events.filter((e) => e.type === 'epoch-end')).toHaveLength(80);
    expect(events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual([
      'distillation: teacher of 17226 parameters → student of 1210 (T 4, alpha 0.7)',
    ]);
    const evaluated = await runCli(['evaluate', '--model', out, '--data', 'test.csv', '--json'], { cwd: project });
    const { accuracy } = JSON.parse(evaluated.stdout) as { accuracy: number };
    expect(accuracy).toBeGreaterThanOrEqual(0.7);

    // That student as the teacher (--from) of a still smaller one: only the student trains.
    const distilled = await runCli(
      [
        'train',
        '--strategy',
        'distillation',
        '--from',
        out,
        '--data',
        'few.csv',
        ...common,
        '--epochs',
        '3',
        '--set',
        'studentUnits=8',
        '--out',
        join(project, 'from.safetensors'),
      ],
      { cwd: project },
    );
    expect(distilled.code, distilled.stderr).toBe(0);
    expect(jsonLines(distilled.stdout).filter((e) => e.type === 'epoch-end')).toHaveLength(3);
  });

  test('--dry-run reports the student’s phase distilling from the teacher', async () => {
    const run = await runCli(['train', '--strategy', 'distillation', '--data', 'few.csv', ...common, '--dry-run'], { cwd: project });
    expect(run.code, run.stderr).toBe(0);
    const plans = jsonLines(run.stdout).filter((e) => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.lossOptions, p.teacher])).toEqual([
      ['teacher', undefined, undefined],
      ['student', { distillation: { temperature: 4, alpha: 0.7 } }, 'teacher phase'],
    ]);
  });

  test('a --from teacher of other classes is refused in one line, exit 2', async () => {
    const teacher = join(project, 'teacher-0-4.safetensors');
    const trained = await runCli(
      ['train', '--strategy', 'full-retrain', '--data', 'low.csv', ...common, '--epochs', '2', '--out', teacher],
      {
        cwd: project,
      },
    );
    expect(trained.code).toBe(0);
    const out = join(project, 'refused.safetensors');
    const run = await runCli(['train', '--strategy', 'distillation', '--from', teacher, '--data', 'few.csv', ...common, '--out', out], {
      cwd: project,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'headstart: distillation: the --from teacher was trained on labels [0, 1, 2, 3, 4], the data has [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]; give a teacher trained on the same labels\n',
    );
  });
});
