import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { defaultTextSpecFor, HeadstartError } from '@headstart/core';
import { buildVocabulary, loadTextDataset, TextTokenizer } from '@headstart/data';
import { loadTrained, train } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';

let dir: string;
let file: string;
let unseen: { text: string; label: string }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-text-api-'));
  const rows = textCorpus(300, 5);
  file = join(dir, 'reviews.jsonl');
  await writeTextCorpus(file, rows.slice(0, 160));
  unseen = rows.slice(240);
});

describe('train() on text, tfjs', () => {
  test('a TokenDataset trains a small encoder; the saved model predicts raw texts alike', async () => {
    const backend = createTfjsBackend();
    const vocabulary = await buildVocabulary(
      textCorpus(300, 5)
        .slice(0, 160)
        .map((row) => row.text),
    );
    const data = await loadTextDataset(file, { tokenizer: TextTokenizer.fromJson(vocabulary.json, 'built'), maxLength: 10 });
    const spec = defaultTextSpecFor(data, { layers: 1, width: 16 });
    const model = await train({ data, model: spec, strategy: 'full-retrain', backend, epochs: 10, lr: 1e-2, batchSize: 16, seed: 3 });
    const predictions = await model.predict(unseen.map((row) => row.text));
    const correct = predictions.filter((p, i) => p.label === unseen[i]!.label).length;
    expect(correct / unseen.length).toBeGreaterThanOrEqual(0.9);
    const saved = join(dir, 'text.safetensors');
    await model.save(saved);
    const loaded = await loadTrained(saved, { backend });
    expect(await loaded.predict(unseen.map((row) => row.text))).toEqual(predictions);
    expect((await loaded.evaluate(file)).accuracy).toBeGreaterThanOrEqual(0.9);
    // Continuing from it on ids of another length (so another tokenisation) is refused, not trained on.
    const longer = await loadTextDataset(file, { tokenizer: TextTokenizer.fromJson(vocabulary.json, 'built'), maxLength: 12 });
    await expect(train({ data: longer, from: saved, strategy: 'continued', backend, epochs: 1 })).rejects.toThrow(
      /^train: data: tokenised by another tokenizer or length \(sha256 [0-9a-f]{12}…, 12 tokens\) than the starting model .*text\.safetensors records \([0-9a-f]{12}…, 10 tokens\)$/,
    );
    model.dispose();
    loaded.dispose();
  });

  test('a text option without text is refused in one line', async () => {
    const backend = createTfjsBackend();
    const refused = train({ data: join(dir, 'digits.csv'), maxLength: 12, strategy: 'full-retrain', backend });
    await expect(refused).rejects.toThrow(
      new HeadstartError(
        'BAD_INPUT',
        'train: maxLength: only for text data; give textColumn (the column holding the text) or a TokenDataset',
      ),
    );
  });
});
