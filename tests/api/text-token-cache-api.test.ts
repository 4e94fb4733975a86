import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { HeadstartError, type TrainingEvent } from '@headstart/core';
import { train } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-token-cache-api-'));
  file = join(dir, 'reviews.csv');
  await writeTextCorpus(file, textCorpus(120, 29));
});

/** train() on the reviews for one epoch; the cache log lines it reported. */
async function cacheLines(tokenCache: string | false): Promise<{ lines: string[]; weights: Map<string, Float32Array> }> {
  const lines: string[] = [];
  const onEvent = (event: TrainingEvent): void => {
    if (event.type === 'log' && event.message.includes(file)) lines.push(event.message);
  };
  const options = { data: file, textColumn: 'text', maxLength: 8, tokenCache, strategy: 'full-retrain', epochs: 1, seed: 2 };
  const model = await train({ ...options, backend: createOnnxBackend(), onEvent });
  const weights = new Map([...(await model.model.getWeights())].map(([name, tensor]) => [name, tensor.data as Float32Array]));
  model.dispose();
  return { lines, weights };
}

describe('train() caches tokens as headstart train does', () => {
  test('tokenCache: a folder is read on the second call (same weights); false reads and writes none', async () => {
    const cache = join(dir, 'cache');
    const first = await cacheLines(cache);
    const [entry] = await readdir(cache);
    expect(first.lines).toEqual([`${file} tokenised and cached in ${join(cache, entry!)}`]);
    const second = await cacheLines(cache);
    expect(second.lines).toEqual([`tokens of ${file} read from the cache (${join(cache, entry!)})`]);
    expect(second.weights).toEqual(first.weights);
    const none = await cacheLines(false);
    expect(none.lines).toEqual([]);
    expect(await readdir(cache)).toEqual([entry]);
  });

  test('tokenCache without text is refused in one line, as the other text options are', async () => {
    const refused = train({ data: join(dir, 'digits.csv'), tokenCache: false, strategy: 'full-retrain', backend: createOnnxBackend() });
    await expect(refused).rejects.toThrow(
      new HeadstartError(
        'BAD_INPUT',
        'train: tokenCache: only for text data; give textColumn (the column holding the text) or a TokenDataset',
      ),
    );
  });
});
