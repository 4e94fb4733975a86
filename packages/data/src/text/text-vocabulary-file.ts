import { writeFileSafely } from '@headstart/core';
import { buildVocabulary, type BuiltVocabulary, type VocabularyOptions } from './build-vocabulary.js';
import { TextTokenizer } from './text-tokenizer.js';
import { readTextRows, type TextReadOptions } from './text-rows.js';

/**
 * Build a vocabulary from the texts of a CSV or JSONL file (streamed; labels are not read) and
 * write it to `out` as a `tokenizer.json`, safely (a failed write leaves what was there).
 * @returns the tokenizer it wrote, read back as `readTokenizer` would read it, and the vocabulary.
 */
export async function writeVocabulary(
  file: string,
  out: string,
  options: TextReadOptions & VocabularyOptions = {},
): Promise<{ tokenizer: TextTokenizer; vocabulary: BuiltVocabulary }> {
  const vocabulary = await buildVocabulary(texts(file, options), options);
  await writeFileSafely(out, vocabulary.json);
  return { tokenizer: TextTokenizer.fromJson(vocabulary.json, out), vocabulary };
}

async function* texts(file: string, options: TextReadOptions): AsyncGenerator<string> {
  for await (const row of readTextRows(file, { ...options, labelled: false })) yield row.text;
}
