import { DataError, type LoadOptions, type TokenDataset } from '@headstart/core';
import { sha256OfFile } from '../records/file-hash.js';
import { readError } from '../records/read-error.js';
import { LabelMapBuilder } from '../transforms/label-map.js';
import { SequenceRows } from './sequence-rows.js';
import type { TextTokenizer } from './text-tokenizer.js';
import { readTextRows, TEXT_FORMATS, textFormatOf, type TextReadOptions } from './text-rows.js';
import { readTokenCache, tokenCacheFile, writeTokenCache, type CachedTokens } from './token-cache.js';

/** How to read and tokenise a text file. */
export interface TextDatasetOptions extends TextReadOptions, Pick<LoadOptions, 'labelMap' | 'extendLabels'> {
  /** The tokenizer (`readTokenizer`, or one built from the corpus). */
  tokenizer: TextTokenizer;
  /** Tokens a sequence, special tokens included: longer texts are truncated, shorter padded. */
  maxLength: number;
  /**
   * A folder for tokenised files, keyed by the file's sha-256, the tokenizer's sha-256, the length
   * and the options that change the result: the same text is tokenised once. No caching without it.
   */
  cacheDir?: string | undefined;
  /** Told whether the cache had the file (`hit`) or it was tokenised and stored (`miss`). */
  onCache?: ((event: { hit: boolean; file: string }) => void) | undefined;
}

/**
 * Read a CSV or JSONL file of texts (see `readTextRows`) and tokenise every text into a row of
 * `maxLength` ids and mask, streaming the file (its text is never held whole, only the ids).
 * Deterministic: the same file, tokenizer and options give the same arrays, which is what the
 * cache relies on. Labels become class indices as the numeric loaders make them.
 * @throws DataError naming the file (and line, column or field) for unreadable or malformed text.
 */
export async function loadTextDataset(file: string, options: TextDatasetOptions): Promise<TokenDataset> {
  const { tokenizer, maxLength } = options;
  const format = textFormatOf(file, options.format);
  const preprocessing = tokenizer.preprocessing(maxLength, options.text ?? 'text');
  const sha256 = await sha256OfFile(file).catch((error: unknown) => Promise.reject(readError(file, error)));
  const dataset = (tokens: CachedTokens, digest: string): TokenDataset => ({
    kind: 'tokens',
    sequenceLength: maxLength,
    ...tokens,
    tokenizer: preprocessing,
    source: { file, format: TEXT_FORMATS[format], sha256: digest },
  });
  const cacheFile = options.cacheDir === undefined ? undefined : tokenCacheFile(options.cacheDir, cacheKey(sha256, format, options));
  const cached = cacheFile === undefined ? undefined : await readTokenCache(cacheFile, maxLength);
  if (cacheFile && cached) {
    options.onCache?.({ hit: true, file: cacheFile });
    return dataset(cached, sha256);
  }
  const [tokens, after] = await Promise.all([tokenise(file, options), sha256OfFile(file)]);
  if (after !== sha256) throw new DataError(file, 'changed while it was being read; read it again when it is complete');
  if (cacheFile) {
    await writeTokenCache(cacheFile, tokens);
    options.onCache?.({ hit: false, file: cacheFile });
  }
  return dataset(tokens, sha256);
}

async function tokenise(file: string, options: TextDatasetOptions): Promise<CachedTokens> {
  const rows = new SequenceRows(options.maxLength);
  const labels = new LabelMapBuilder(file, { labelMap: options.labelMap, extendLabels: options.extendLabels, unit: 'line' });
  for await (const row of readTextRows(file, options)) {
    rows.add((ids, mask, index) => options.tokenizer.encodeInto(row.text, options.maxLength, ids, mask, index));
    if (row.label !== undefined) labels.add(row.label, row.line);
  }
  return { size: rows.size, ...rows.finish(), ...(labels.size > 0 ? labels.finish() : {}) };
}

function cacheKey(sha256: string, format: string, options: TextDatasetOptions) {
  return {
    file: sha256,
    tokenizer: options.tokenizer.sha256,
    padId: options.tokenizer.padId,
    maxLength: options.maxLength,
    format,
    text: options.text ?? 'text',
    label: options.label,
    labelled: options.labelled ?? true,
    labelMap: options.labelMap,
    extendLabels: options.extendLabels ?? false,
  };
}
