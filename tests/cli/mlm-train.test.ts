import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');

let dir: string;
let labelled: string;
let unlabelled: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-mlm-cli-'));
  const rows = textCorpus(600, 13);
  labelled = join(dir, 'labelled.csv');
  unlabelled = join(dir, 'unlabelled.csv');
  await writeTextCorpus(labelled, rows.slice(0, 300));
  // Unlabelled text: the same kind of reviews, only the text column, and a word no labelled text has.
  const texts = [...rows.slice(300).map((row) => row.text), 'a zeppelin scene', 'the zeppelin film'];
  await writeFile(unlabelled, `text\n${texts.join('\n')}\n`);
});

const mlm = ['--strategy', 'pretrain-finetune', '--set', 'objective=mlm', '--backend', 'onnx', '--max-length', '16'];

describe('headstart train --strategy pretrain-finetune --set objective=mlm (onnx)', () => {
  test('pre-trains a masked-language model on --unlabeled text, loss falling, then fine-tunes a clear classifier', async () => {
    const out = join(dir, 'mlm.safetensors');
    const run = await runCli([
      'train',
      ...mlm,
      '--data',
      labelled,
      '--unlabeled',
      unlabelled,
      '--text-column',
      'text',
      '--set',
      'pretrainEpochs=4,pretrainLr=0.005',
      '--epochs',
      '12',
      '--lr',
      '0.005',
      '--checkpoint-every',
      '0',
      '--json',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; epochs?: number; metrics?: Record<string, number>; message?: string });
    const ends = events.filter((e) => e.type === 'epoch-end');
    // The pre-training phase's 4 epochs come first, reported like any phase's: the masked-token loss, no class accuracy.
    const pretrain = ends.slice(0, 4);
    expect(pretrain.map((e) => e.epochs)).toEqual([4, 4, 4, 4]);
    expect(pretrain.every((e) => Object.keys(e.metrics!).join() === 'loss')).toBe(true);
    const losses = pretrain.map((e) => e.metrics!.loss!);
    expect(Math.max(...losses.slice(1))).toBeLessThan(losses[0]! - 0.3);
    const log = events.find((e) => e.type === 'log' && e.message!.includes('masked-language model'))!.message;
    expect(log).toMatch(/^pretrain-finetune: pretrain: masked-language model on 302 sequences \(mask tokens 15%\): masked-token loss /);
    // Fine-tuning under the new head learns the keyword classes.
    const finetune = ends.slice(4);
    expect(finetune).toHaveLength(12);
    expect(finetune.at(-1)!.metrics!.valAccuracy).toBeGreaterThanOrEqual(0.9);
    const { manifest } = await readCheckpoint(out);
    expect(manifest.spec.layers.some((layer) => layer.name.startsWith('mlm_'))).toBe(false);
    expect(manifest.tokenizer).toMatchObject({ maxLength: 16, textColumn: 'text' });
    // The vocabulary was built from the labelled and the unlabelled texts.
    expect(Object.keys(JSON.parse(manifest.tokenizer!.json).model.vocab)).toContain('zeppelin');
  });

  test('objective=mlm on numeric data is refused in one line, exit 2', async () => {
    const run = await runCli([
      'train',
      ...mlm.filter((a) => a !== '--max-length' && a !== '16'),
      '--data',
      DIGITS,
      '--epochs',
      '1',
      '--out',
      join(dir, 'digits.safetensors'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: pretrain-finetune: objective mlm pre-trains on text (token sequences), but ${DIGITS} holds numeric samples; use objective=autoencoder\n`,
    );
  });

  test('an --unlabeled file without the text column is refused in one line, exit 2', async () => {
    const bad = join(dir, 'bodies.csv');
    await writeFile(bad, 'body\nsome words here\n');
    const run = await runCli([
      'train',
      ...mlm,
      '--data',
      labelled,
      '--unlabeled',
      bad,
      '--text-column',
      'text',
      '--out',
      join(dir, 'bad.safetensors'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`headstart: ${bad}, line 1: no "text" column for the text; the header has body\n`);
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });
});
