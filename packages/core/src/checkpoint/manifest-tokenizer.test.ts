import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { editManifest, smallContent } from './__fixtures__/small-checkpoint.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';
import type { TokenizerPreprocessing } from './manifest.js';

const json = '{"model":{"type":"WordPiece","vocab":{"[PAD]":0,"[UNK]":1}}}';
const tokenizer: TokenizerPreprocessing = {
  kind: 'tokenizer',
  sha256: createHash('sha256').update(json).digest('hex'),
  maxLength: 16,
  padId: 0,
  vocabSize: 2,
  textColumn: 'text',
  json,
};

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-tokenizer-manifest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a checkpoint carries the tokenizer of its text', () => {
  test('writes and reads back the tokenizer entry, its tokenizer.json text included', async () => {
    const file = join(dir, 'text.safetensors');
    await writeCheckpoint(file, { ...smallContent(), manifest: { ...smallContent().manifest, tokenizer } });
    expect((await readCheckpoint(file)).manifest.tokenizer).toEqual(tokenizer);
  });

  test('refuses a checkpoint whose tokenizer.json text is not the one its sha-256 names', async () => {
    const file = join(dir, 'edited.safetensors');
    await writeCheckpoint(file, { ...smallContent(), manifest: { ...smallContent().manifest, tokenizer } });
    const edited = editManifest(await readFile(file), (manifest) => ({
      ...manifest,
      tokenizer: { ...tokenizer, json: json.replace('"[UNK]":1', '"[UNK]":7') },
    }));
    await writeFile(file, edited);
    await expect(readCheckpoint(file)).rejects.toThrow(
      `${file}: manifest: tokenizer.json: the tokenizer.json text does not have the sha-256 recorded beside it`,
    );
  });
});
