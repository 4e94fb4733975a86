import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');

describe('headstart compare', () => {
  test('runs every strategy × budget × seed of an experiment file and reports them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-compare-'));
    await writeFile(
      join(dir, 'experiment.yaml'),
      `name: tiny
data: ${DIGITS}
scale: 16
source: { labels: [0, 1, 2, 3, 4], options: { epochs: 5 } }
target: { labels: [5, 6, 7, 8, 9], budgets: [5, 20] }
strategies:
  - { strategy: full-retrain, name: scratch, options: { epochs: 20 } }
  - { strategy: frozen-base, options: { epochs: 10 } }
seeds: [1, 2]
`,
    );
    const run = await runCli(['compare', join(dir, 'experiment.yaml'), '--out', join(dir, 'out'), '--json']);
    expect(run.code).toBe(0);
    const { results, summaries } = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as {
      results: { arm: string; budget: number; seed: number; provenance: string[] }[];
      summaries: { arm: string; budget: number; runs: number }[];
    };
    expect(results.map((r) => `${r.arm}/${r.budget}/${r.seed}`).sort()).toEqual([
      'frozen-base/20/1',
      'frozen-base/20/2',
      'frozen-base/5/1',
      'frozen-base/5/2',
      'scratch/20/1',
      'scratch/20/2',
      'scratch/5/1',
      'scratch/5/2',
    ]);
    expect(results.find((r) => r.arm === 'scratch')!.provenance).toEqual(['full-retrain']);
    expect(summaries.every((s) => s.runs === 2)).toBe(true);
    const report = await readFile(join(dir, 'out', 'report.md'), 'utf8');
    expect(report).toContain('| scratch |');
    expect(report).toMatch(/frozen-base\) (trailed|beat|was level)/);
  });

  test.each([
    [
      'data: nowhere.csv\nsource: { labels: [0] }\ntarget: {}\nstrategies: [{ strategy: full-retrain }]\n',
      /: .*nowhere\.csv: no such file or directory$/,
    ],
    [
      'data: DIGITS\nsource: { labels: [0] }\ntarget: {}\nstrategies: [{ strategy: frozen-base, options: { epoch: 3 } }]\n',
      /: strategies\[0\]\.options: unknown option "epoch"; its options are epochs, lr, .*$/,
    ],
    [
      'data: DIGITS\nsource: { labels: [0] }\ntarget: {}\nstrategies: [{ strategy: frozn }]\n',
      /: strategies\[0\]\.strategy: unknown strategy "frozn"/,
    ],
    [
      'data: DIGITS\nsource: {}\ntarget: {}\nstrategies: [{ strategy: full-retrain }]\n',
      /: source: give labels \(classes of data to pre-train on\), data, or a model$/,
    ],
    [
      'data: DIGITS\nsource: { labels: [0] }\ntarget: { budgets: [0] }\nstrategies: [{ strategy: full-retrain }]\n',
      /: target\.budgets\[0\]: Too small/,
    ],
    [
      'data: DIGITS\nsource: { labels: [0] }\ntarget: {}\nstrategies: [{ strategy: full-retrain }]\nseeds: [1, 1]\n',
      /experiment\.yaml: seeds: 1 is listed twice; list each value once$/,
    ],
    [
      'data: DIGITS\nsource: { labels: [0] }\ntarget: { budgets: [5, 10, 5] }\nstrategies: [{ strategy: full-retrain }]\n',
      /experiment\.yaml: target\.budgets: 5 is listed twice; list each value once$/,
    ],
  ])('a bad experiment file is refused before training (%#)', async (yaml, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-badexp-'));
    await writeFile(join(dir, 'experiment.yaml'), yaml.replace('DIGITS', DIGITS));
    const run = await runCli(['compare', join(dir, 'experiment.yaml'), '--out', join(dir, 'out')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
  });

  test('an --out holding the report of another experiment is refused before training; the report is kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-otherexp-'));
    const out = join(dir, 'out');
    await mkdir(out);
    const earlier = `${JSON.stringify({ experiment: { name: 'my other study' }, summaries: [], results: [] })}\n`;
    await writeFile(join(out, 'results.json'), earlier);
    await writeFile(
      join(dir, 'experiment.yaml'),
      `data: ${DIGITS}\nsource: { labels: [0, 1] }\ntarget: {}\nstrategies: [{ strategy: full-retrain }]\n`,
    );
    const run = await runCli(['compare', join(dir, 'experiment.yaml'), '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: --out ${out} holds the report of another experiment ("my other study"); choose another --out, or delete it to replace that report\n`,
    );
    expect(await readFile(join(out, 'results.json'), 'utf8')).toBe(earlier);
  });
});
