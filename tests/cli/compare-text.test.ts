import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';
import { runCli } from './run-cli.js';

let dir: string;

// 300 synthetic reviews and 6 exact repeats of earlier ones.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-compare-text-'));
  const rows = textCorpus(300, 4);
  await writeTextCorpus(join(dir, 'reviews.csv'), [...rows, ...rows.slice(0, 6)]);
});

async function experiment(name: string, body: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}\ndata: reviews.csv\n${body}`);
  return file;
}

const ARMS = `strategies:
  - { strategy: full-retrain, options: { epochs: 20 } }
  - { strategy: frozen-base, options: { epochs: 20 } }
seeds: [1]
`;

describe('headstart compare on text', () => {
  test('pre-trains a masked-language model on the pool, then runs every arm; repeated texts are left out', async () => {
    const file = await experiment(
      'mlm',
      `text: { column: text, maxLength: 16 }
source: { strategy: masked-lm-encoder, options: { pretrainEpochs: 2 } }
target: { budgets: [8] }
${ARMS}`,
    );
    const out = join(dir, 'mlm-out');
    const run = await runCli(['compare', file, '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('reviews.csv: 6 sequences repeat an earlier one');
    const { results } = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
      results: { arm: string; accuracy: number; provenance: string[] }[];
    };
    expect(results.map((r) => [r.arm, r.provenance])).toEqual([
      ['full-retrain', ['full-retrain']],
      ['frozen-base', ['masked-lm-encoder', 'frozen-base']],
    ]);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('| frozen-base |');
  });

  test('a text model as the source: its tokenizer is used, and a vocabulary size of our own is refused', async () => {
    const model = join(dir, 'reviews.safetensors');
    const trained = await runCli([
      'train',
      '--strategy',
      'full-retrain',
      '--data',
      join(dir, 'reviews.csv'),
      '--text-column',
      'text',
      '--epochs',
      '1',
      '--out',
      model,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const ok = await experiment(
      'model',
      `text: { column: text }\nsource: { model: reviews.safetensors }\ntarget: { budgets: [8] }\n${ARMS}`,
    );
    const run = await runCli(['compare', ok, '--out', join(dir, 'model-out'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const sized = await experiment(
      'sized',
      `text: { column: text, vocabSize: 50 }\nsource: { model: reviews.safetensors }\ntarget: { budgets: [8] }\n${ARMS}`,
    );
    const refused = await runCli(['compare', sized, '--out', join(dir, 'sized-out')]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      `headstart: text.vocabSize: the starting model ${model} was trained on its tokenizer's vocabulary of ${await vocabularySize(model)} tokens; leave text.vocabSize out\n`,
    ]);
  });

  test('fields that do not fit text are refused in one line naming the field', async () => {
    const cases: [string, string][] = [
      [
        'source: { strategy: masked-lm-encoder }\ntarget: { budgets: [8] }\n',
        'source.strategy: masked-lm-encoder pre-trains on text; give text: { column: NAME }',
      ],
      [
        'text: { column: text }\nscale: 16\nsource: { labels: [good] }\ntarget: { budgets: [8] }\n',
        'scale: applies to numeric features, not text; leave it out',
      ],
      [
        'text: { column: text }\nsource: { strategy: masked-lm-encoder, labels: [good] }\ntarget: { budgets: [8] }\n',
        "source.labels: masked-lm-encoder pre-trains on the target's unlabelled pool; leave it out",
      ],
      [
        'text: { column: text }\nsource: { data: reviews.csv }\ntarget: { budgets: [8] }\n',
        'source.data: for text, put the source texts in data and name their classes in source.labels',
      ],
    ];
    for (const [index, [body, why]] of cases.entries()) {
      const file = await experiment(`bad${index}`, `${body}${ARMS}`);
      const run = await runCli(['compare', file, '--out', join(dir, `bad${index}-out`)]);
      expect([run.code, run.stderr]).toEqual([2, `headstart: ${file}: ${why}\n`]);
    }
    const augmented = await experiment(
      'augmented',
      'text: { column: text }\nsource: { strategy: masked-lm-encoder }\ntarget: { budgets: [8] }\nstrategies:\n  - { strategy: full-retrain, augment: "crop=1" }\n',
    );
    const run = await runCli(['compare', augmented, '--out', join(dir, 'augmented-out')]);
    expect([run.code, run.stderr]).toEqual([
      2,
      `headstart: ${augmented}: strategies[0].augment: image augmentation applies to images, not text\n`,
    ]);
  });
});

async function vocabularySize(model: string): Promise<number> {
  const { readManifest } = await import('@headstart/core');
  return (await readManifest(model)).manifest.tokenizer!.vocabSize;
}
