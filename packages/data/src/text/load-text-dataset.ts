import { DataError, isUserError, type LoadOptions, type TokenDataset } from '@headstart/core';
import { DEFAULT_CHUNK_SIZE } from '../records/collect-records.js';
import { sha256OfFile } from '../records/file-hash.js';
import { readError } from '../records/read-error.js';
import { LabelMapBuilder } from '../transforms/label-map.js';
import { SequenceRows } from './sequence-rows.js';
import type { TextTokenizer } from './text-tokenizer.js';
import { readTextRows, TEXT_FORMATS, textFormatOf, type TextReadOptions, type TextRow } from './text-rows.js';
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
  /** Read `cacheDir` but never write it (a run that promises to write nothing: `--dry-run`, `lr-find`). */
  cacheReadOnly?: boolean | undefined;
  /** Told whether the cache had the file (`hit`) or it was tokenised and stored, or could not be (`problem`). */
  onCache?: ((event: TokenCacheEvent) => void) | undefined;
}

/** What {@link loadTextDataset} did with the token cache for one text file. */
export interface TokenCacheEvent {
  /** The tokens were read from the cache rather than tokenised. */
  hit: boolean;
  /** The cache entry read or written. */
  file: string;
  /** The text file. */
  source: string;
  /** The run only reads the cache (`cacheReadOnly`): a tokenised file is not stored. */
  readOnly?: true | undefined;
  /** Why a tokenised file could not be stored (a full or read-only disk); the tokens are used all the same. */
  problem?: string | undefined;
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
    options.onCache?.({ hit: true, file: cacheFile, source: file });
    return dataset(cached, sha256);
  }
  const [tokens, after] = await Promise.all([tokenise(file, options), sha256OfFile(file)]);
  if (after !== sha256) throw new DataError(file, 'changed while it was being read; read it again when it is complete');
  if (cacheFile && options.cacheReadOnly) {
    options.onCache?.({ hit: false, file: cacheFile, source: file, readOnly: true });
  } else if (cacheFile) {
    // A cache that cannot be written costs the next run time, not this run its result: said, not fatal.
    const problem = await writeTokenCache(cacheFile, tokens, maxLength).then(
      () => undefined,
      (error: unknown) => {
        if (!isUserError(error)) throw error;
        return error.message;
      },
    );
    options.onCache?.({ hit: false, file: cacheFile, source: file, ...(problem ? { problem } : {}) });
  }
  return dataset(tokens, sha256);
}

/**
 * Stream a text file as token datasets of at most `chunkSize` sequences, tokenised as
 * {@link loadTextDataset} does (not cached): for `predict` and `evaluate` on files larger than
 * memory. Labelled text needs a fixed `labelMap` (every chunk indexes into it).
 * @throws DataError as `loadTextDataset`; TypeError for labels without `labelMap`, or `extendLabels`.
 */
export async function* streamTextChunks(
  file: string,
  options: Omit<TextDatasetOptions, 'cacheDir' | 'cacheReadOnly' | 'onCache'> & { chunkSize?: number | undefined },
): AsyncGenerator<TokenDataset> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`chunk size must be a positive whole number, got ${chunkSize}`);
  // A label first seen in a later chunk would change the indices of the chunks already handed out.
  if (options.extendLabels) throw new TypeError('extendLabels is not supported when streaming in chunks; load the data whole instead');
  const format = textFormatOf(file, options.format);
  const preprocessing = options.tokenizer.preprocessing(options.maxLength, options.text ?? 'text');
  const chunk = (tokens: CachedTokens): TokenDataset => {
    if (tokens.labels && !options.labelMap)
      throw new TypeError('streaming labelled text in chunks needs a fixed labelMap (options.labelMap)');
    return {
      kind: 'tokens',
      sequenceLength: options.maxLength,
      ...tokens,
      tokenizer: preprocessing,
      source: { file, format: TEXT_FORMATS[format] },
    };
  };
  let batch = new TokenRows(file, options);
  for await (const row of readTextRows(file, options)) {
    batch.add(row);
    if (batch.size === chunkSize) {
      yield chunk(batch.finish());
      batch = new TokenRows(file, options);
    }
  }
  if (batch.size > 0) yield chunk(batch.finish());
}

async function tokenise(file: string, options: TextDatasetOptions): Promise<CachedTokens> {
  const rows = new TokenRows(file, options);
  for await (const row of readTextRows(file, options)) rows.add(row);
  return rows.finish();
}

/** Rows of text tokenised as they come, and their labels as class indices. */
class TokenRows {
  private readonly rows: SequenceRows;
  private readonly labels: LabelMapBuilder;

  constructor(
    file: string,
    private readonly options: Pick<TextDatasetOptions, 'tokenizer' | 'maxLength' | 'labelMap' | 'extendLabels'>,
  ) {
    this.rows = new SequenceRows(options.maxLength);
    this.labels = new LabelMapBuilder(file, { labelMap: options.labelMap, extendLabels: options.extendLabels, unit: 'line' });
  }

  get size(): number {
    return this.rows.size;
  }

  add(row: TextRow): void {
    const { tokenizer, maxLength } = this.options;
    this.rows.add((ids, mask, index) => tokenizer.encodeInto(row.text, maxLength, ids, mask, index));
    if (row.label !== undefined) this.labels.add(row.label, row.line);
  }

  finish(): CachedTokens {
    return { size: this.rows.size, ...this.rows.finish(), ...(this.labels.size > 0 ? this.labels.finish() : {}) };
  }
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
