import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { readCheckpoint } from '@headstart/core';
import { loadTrained } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { runCli } from './run-cli.js';

let dir: string;
let reviews: string;
let unseen: { text: string; label: string }[];
let textModel: string;

const quick = ['--backend', 'onnx', '--max-length', '16', '--epochs', '6', '--checkpoint-every', '0'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-text-cli-'));
  const rows = textCorpus(400, 11);
  reviews = join(dir, 'reviews.csv');
  await writeTextCorpus(reviews, rows.slice(0, 300));
  unseen = rows.slice(300);
  await writeTextCorpus(join(dir, 'unseen.jsonl'), unseen);
  textModel = join(dir, 'text.safetensors');
  const trained = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    reviews,
    '--text-column',
    'text',
    ...quick,
    '--out',
    textModel,
  ]);
  expect(trained.code).toBe(0);
});

describe('headstart train on text (onnx)', () => {
  test('a vocabulary built from the data and the default encoder learn the keyword classes; the checkpoint keeps the tokenizer', async () => {
    const { manifest } = await readCheckpoint(textModel);
    expect(manifest.provenance[0]!.metrics!.valAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(manifest.tokenizer).toMatchObject({ kind: 'tokenizer', maxLength: 16, textColumn: 'text', padId: 0 });
    expect(manifest.spec.inputs).toEqual([
      { name: 'input_ids', shape: [16], dtype: 'int32' },
      { name: 'attention_mask', shape: [16], dtype: 'int32' },
    ]);
  });

  test('predict and evaluate read raw text with the checkpoint tokenizer, as the in-memory model predicts it', async () => {
    const file = join(dir, 'unseen.jsonl');
    const predicted = await runCli(['predict', '--model', textModel, '--data', file, '--backend', 'onnx']);
    expect(predicted.code).toBe(0);
    const rows = predicted.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','));
    const model = await loadTrained(textModel, { backend: createOnnxBackend() });
    const inMemory = await model.predict(unseen.map((row) => row.text));
    expect(rows.map((row) => row[1])).toEqual(inMemory.map((p) => p.label));
    expect(rows.map((row) => row[2])).toEqual(inMemory.map((p) => p.probability.toFixed(6)));
    const correct = inMemory.filter((p, i) => p.label === unseen[i]!.label).length;
    expect(correct / unseen.length).toBeGreaterThanOrEqual(0.9);
    const evaluated = await runCli(['evaluate', '--model', textModel, '--data', file, '--backend', 'onnx', '--json']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBeCloseTo(correct / unseen.length, 10);
    model.dispose();
  });

  test.each(['frozen-base', 'continued', 'lora'])('%s starts from the text checkpoint with its tokenizer', async (strategy) => {
    const out = join(dir, `${strategy}.safetensors`);
    const run = await runCli([
      'train',
      '--strategy',
      strategy,
      '--from',
      textModel,
      '--data',
      reviews,
      '--backend',
      'onnx',
      '--epochs',
      '1',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const { manifest } = await readCheckpoint(out);
    expect(manifest.tokenizer).toEqual((await readCheckpoint(textModel)).manifest.tokenizer);
    if (strategy !== 'lora') return;
    // An adapter-only checkpoint predicts with its base, and the tokenizer both record.
    const predicted = await runCli(['predict', '--model', out, '--data', join(dir, 'unseen.jsonl'), '--backend', 'onnx']);
    expect(predicted.code).toBe(0);
    expect(predicted.stdout.trim().split('\n')).toHaveLength(unseen.length + 1);
  });

  test('bad text input is one line and exit 2, and writes nothing', async () => {
    const notTokenizer = join(dir, 'not-a-tokenizer.json');
    await writeFile(notTokenizer, '{"tex": "x"}\n');
    const mlp = join(dir, 'mlp.yaml');
    await writeFile(mlp, 'inputShape: [16]\nlayers:\n  - {type: dense, name: head, units: 2, activation: softmax}\n');
    const out = join(dir, 'refused.safetensors');
    const cases: [string[], string][] = [
      [['--text-column', 'body'], `headstart: ${reviews}, line 1: no "body" column for the text; the header has text, label`],
      [
        ['--text-column', 'text', '--tokenizer', notTokenizer],
        `headstart: ${notTokenizer}: model: expected an object with the tokenizer model (type, vocab)`,
      ],
      [['--text-column', 'text', '--max-length', '0'], 'headstart: --max-length: expected a whole number > 0, got "0"'],
      [['--max-length', '16'], 'headstart: --max-length: only for text data; give --text-column COLUMN (the column holding the text)'],
      [
        ['--text-column', 'text', '--scale', '16'],
        'headstart: --scale: applies to numeric features, not text (--text-column); leave it out',
      ],
      [
        ['--text-column', 'text', '--max-length', '16', '--model', mlp],
        `headstart: ${mlp}: the model takes 16 float features per sample; the training data is text of 16 tokens a sequence (input_ids and attention_mask [16]) (file ${reviews})`,
      ],
    ];
    // Side by side: each is a process that refuses before training.
    const runs = await Promise.all(
      cases.map(([flags]) =>
        runCli(['train', '--strategy', 'full-retrain', '--data', reviews, '--backend', 'onnx', ...flags, '--out', out]),
      ),
    );
    runs.forEach((run, i) => {
      const [flags, line] = cases[i]!;
      expect({ flags, code: run.code, stderr: run.stderr }).toEqual({ flags, code: 2, stderr: `${line}\n` });
    });
    const longer = await runCli([
      'train',
      '--strategy',
      'continued',
      '--from',
      textModel,
      '--data',
      reviews,
      '--max-length',
      '32',
      '--out',
      out,
    ]);
    expect([longer.code, longer.stderr]).toEqual([
      2,
      `headstart: --max-length 32: the starting model ${textModel} was trained on sequences of 16 tokens; leave --max-length 32 out\n`,
    ]);
    expect(existsSync(out)).toBe(false);
  });
});
