import { maskingTokens } from '@headstart/core';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__fixtures__/temp-dir.js';
import { buildVocabulary } from './build-vocabulary.js';
import { readTokenizer, TextTokenizer } from './text-tokenizer.js';
import { writeVocabulary } from './text-vocabulary-file.js';

const corpus = ['The cat sat.', 'the cat ran', 'a dog ran', 'Café café'];
const temp = useTempDir();

const vocabOf = (json: string) => Object.keys((JSON.parse(json) as { model: { vocab: Record<string, number> } }).model.vocab);

describe('building a vocabulary from a corpus', () => {
  it('holds the specials, the characters seen often enough (c and ##c), then the words, by frequency', async () => {
    const built = await buildVocabulary(corpus, { minFrequency: 2, vocabSize: 100 });
    // Characters weighted by their words' counts: a 8, t 5, c 4, e 4, then f h n r 2 each; words seen twice: cafe cat ran the.
    expect(vocabOf(built.json)).toEqual([
      ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
      ...['a', '##a', 't', '##t', 'c', '##c', 'e', '##e', 'f', '##f', 'h', '##h', 'n', '##n', 'r', '##r'],
      ...['cafe', 'cat', 'ran', 'the'],
    ]);
    expect([built.size, built.words]).toEqual([25, 8]);
  });

  it('makes a tokenizer.json that splits unseen words into the characters it knows', async () => {
    const tokenizer = TextTokenizer.fromJson((await buildVocabulary(corpus, { minFrequency: 2 })).json, 'built.json');
    // the 24, cart → c ##a ##r ##t, ran 23; "cats" has an s, which is not in the vocabulary: [UNK].
    expect(tokenizer.encode('The CART ran', 16)).toEqual([2, 24, 9, 6, 20, 8, 23, 3]);
    expect(tokenizer.encode('the cats', 16)).toEqual([2, 24, 1, 3]);
    expect([tokenizer.padId, tokenizer.specialCount, tokenizer.vocabSize]).toEqual([0, 2, 25]);
  });

  it('has the [MASK] token masked-language modelling reads, and its specials', async () => {
    const tokenizer = TextTokenizer.fromJson((await buildVocabulary(corpus, { minFrequency: 2 })).json, 'built.json');
    expect(maskingTokens(tokenizer.preprocessing(16, 'text'))).toEqual({ maskId: 4, specialIds: [0, 1, 2, 3, 4], vocabSize: 25 });
  });

  it('gives the same bytes for the same corpus in any order', async () => {
    const first = await buildVocabulary(corpus, { minFrequency: 1 });
    const again = await buildVocabulary([...corpus].reverse(), { minFrequency: 1 });
    expect(again.json).toBe(first.json);
    expect(vocabOf(first.json)).toContain('dog');
  });

  it('stops at the vocabulary size and leaves out what is rarer than the minimum frequency', async () => {
    expect(vocabOf((await buildVocabulary(corpus, { minFrequency: 2, vocabSize: 9 })).json)).toEqual([
      ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', '##a', 't', '##t'],
    ]);
    expect(vocabOf((await buildVocabulary(corpus, { minFrequency: 3 })).json)).toEqual([
      ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', '##a', 't', '##t', 'c', '##c', 'e', '##e'],
    ]);
    await expect(buildVocabulary(corpus, { vocabSize: 5 })).rejects.toThrow('vocabulary size must be a whole number above 5');
  });

  it('keeps case when asked', async () => {
    expect(vocabOf((await buildVocabulary(corpus, { minFrequency: 1, lowercase: false })).json)).toContain('The');
  });

  it('writes the vocabulary of a file as a tokenizer.json that readTokenizer loads', async () => {
    const data = await temp.write('corpus.csv', `text,label\n${corpus.map((text) => `"${text}",x`).join('\n')}\n`);
    const out = temp.path('vocab/tokenizer.json');
    const { tokenizer, vocabulary } = await writeVocabulary(data, out, { minFrequency: 2 });
    expect(await readFile(out, 'utf8')).toBe(vocabulary.json);
    const read = await readTokenizer(out);
    expect(read.sha256).toBe(tokenizer.sha256);
    expect(read.encode('The CART ran', 16)).toEqual([2, 24, 9, 6, 20, 8, 23, 3]);
  });
});
