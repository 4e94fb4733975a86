import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from './run-cli.js';

test('headstart demo runs every strategy at every label budget over three seeds and writes its report', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-demo-')), 'report');
  const run = await runCli(['demo', '--out', out]);
  expect(run.code).toBe(0);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
    experiment: { arms: { name: string }[]; seeds: number[]; target: { budgets: number[] } };
    summaries: { arm: string; budget: number; mean: number; runs: number }[];
    results: { arm: string; accuracy: number; provenance: string[] }[];
  };
  const { arms, seeds, target } = results.experiment;
  expect(arms.map((a) => a.name)).toEqual(expect.arrayContaining(['full-retrain', 'frozen-base', 'continued', 'lp-ft']));
  expect(results.results).toHaveLength(arms.length * seeds.length * target.budgets.length);
  expect(results.summaries.every((s) => s.runs === 3 && s.mean > 0.2 && s.mean <= 1)).toBe(true);
  // Runs from the pre-trained model carry both stages in their provenance.
  expect(results.results.find((r) => r.arm === 'frozen-base')!.provenance).toEqual(['full-retrain', 'frozen-base']);
  const scratch10 = results.summaries.find((s) => s.arm === 'full-retrain' && s.budget === 10)!;
  expect(scratch10.mean).toBeGreaterThan(0.85);
  const report = await readFile(join(out, 'report.md'), 'utf8');
  expect(report).toContain('| full-retrain |');
  expect(report).toMatch(/with 2 labels a class .* did best/);
});
