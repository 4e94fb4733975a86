import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { DataError, HeadstartError, type TokenizerPreprocessing } from '@headstart/core';
import { readError } from '../records/read-error.js';
import { parseTokenizerJson, type TokenizerJson } from './tokenizer-json.js';

/** How to read a tokenizer. */
export interface TokenizerOptions {
  /** The token to pad with, when the tokenizer.json names none (`padding.pad_token`) and has no `[PAD]` or `<pad>`. */
  padToken?: string | undefined;
}

/** Padding tokens looked for, in order, when the tokenizer.json has no `padding` section. */
const PAD_TOKENS = ['[PAD]', '<pad>'] as const;

/**
 * A Hugging Face tokenizer (WordPiece, BPE or Unigram, as its `tokenizer.json` describes it,
 * run by @huggingface/tokenizers) that turns a text into at most `maxLength` token ids, its
 * special tokens (`[CLS] … [SEP]`, `<s> … </s>`) included. Text too long is truncated on the
 * right before the special tokens are added, as Hugging Face's `truncation=True` does, so a
 * truncated sequence still ends with `[SEP]`.
 */
export class TextTokenizer {
  /** Tokens the post-processor adds around a text (2 for BERT and RoBERTa, 0 for GPT-2). */
  readonly specialCount: number;
  /** Largest token id + 1. */
  readonly vocabSize: number;

  private constructor(
    /** Where it was read from, for messages. */
    readonly file: string,
    /** The tokenizer.json text. */
    readonly json: string,
    /** sha-256 (hex) of the tokenizer.json's UTF-8 bytes. */
    readonly sha256: string,
    /** Id of the padding token. */
    readonly padId: number,
    private readonly tokenizer: Tokenizer,
  ) {
    this.specialCount = tokenizer.post_processor ? tokenizer.post_processor([], null, true).tokens.length : 0;
    let largest = -1;
    for (const id of tokenizer.get_vocab(true).values()) largest = Math.max(largest, id);
    this.vocabSize = largest + 1;
  }

  /**
   * A tokenizer from the text of a `tokenizer.json`.
   * @throws DataError naming `file` and the field that is wrong, or the padding token missing.
   */
  static fromJson(json: string, file: string, options: TokenizerOptions = {}): TextTokenizer {
    const parsed = parseTokenizerJson(json, file);
    const tokenizer = construct(parsed, file);
    const padId = padIdOf(parsed, tokenizer, file, options.padToken);
    return new TextTokenizer(file, json, createHash('sha256').update(json).digest('hex'), padId, tokenizer);
  }

  /**
   * The tokenizer a checkpoint recorded (its `tokenizer.json` text and padding id), for `predict`
   * on raw text. `file` is the checkpoint, for messages.
   */
  static fromPreprocessing(record: TokenizerPreprocessing, file: string): TextTokenizer {
    const tokenizer = construct(parseTokenizerJson(record.json, file), file);
    return new TextTokenizer(file, record.json, record.sha256, record.padId, tokenizer);
  }

  /**
   * The token ids of `text`, special tokens included, truncated to `maxLength` (not padded).
   * @throws DataError when a token has no id and the vocabulary no unknown token.
   */
  encode(text: string, maxLength: number): number[] {
    this.checkLength(maxLength);
    const room = maxLength - this.specialCount;
    const content = this.contentTokens(text, room);
    const kept = content.length > room ? content.slice(0, room) : content;
    const tokens: string[] = this.tokenizer.post_processor ? this.tokenizer.post_processor(kept, null, true).tokens : kept;
    const unknown = this.tokenizer.model?.unk_token_id;
    return tokens.map((token) => {
      const id = this.tokenizer.token_to_id(token) ?? unknown;
      if (id === undefined) throw new DataError(this.file, `the token "${token}" has no id and the vocabulary has no unknown token`);
      return id;
    });
  }

  /**
   * The tokens of `text` without special tokens; at least the first `room` of them are those of
   * the whole text. A long text (an e-mail with its attachments) is tokenised from a prefix cut
   * before a whitespace, the cost of a load being mostly tokenising text that truncation throws
   * away. Cutting changes at most the last words of the prefix, so the first `room` tokens are
   * taken from it only when a prefix twice as long agrees on them; else the whole text is read.
   */
  private contentTokens(text: string, room: number): string[] {
    const whole = () => this.tokenizer.tokenize(text, { add_special_tokens: false });
    for (let cut = prefixCut(text, Math.max(MIN_PREFIX, room * PREFIX_PER_TOKEN)); cut !== undefined; ) {
      const prefix = this.tokenizer.tokenize(text.slice(0, cut), { add_special_tokens: false });
      const next = prefixCut(text, 2 * cut);
      if (prefix.length <= room + PREFIX_MARGIN) {
        cut = next;
        continue;
      }
      if (next === undefined) return whole();
      const longer = this.tokenizer.tokenize(text.slice(0, next), { add_special_tokens: false });
      for (let i = 0; i < room; i++) if (longer[i] !== prefix[i]) return whole();
      return prefix;
    }
    return whole();
  }

  /**
   * Encode `text` into row `row` of `[rows, maxLength]` ids and mask: the ids, then `padId` with
   * mask 0 up to `maxLength`.
   */
  encodeInto(text: string, maxLength: number, ids: Int32Array, mask: Int32Array, row: number): void {
    const encoded = this.encode(text, maxLength);
    const start = row * maxLength;
    ids.set(encoded, start);
    ids.fill(this.padId, start + encoded.length, start + maxLength);
    mask.fill(1, start, start + encoded.length);
    mask.fill(0, start + encoded.length, start + maxLength);
  }

  /** The checkpoint's record of this tokenizer, used with `maxLength` on the text column (or JSONL field) `textColumn`. */
  preprocessing(maxLength: number, textColumn: string): TokenizerPreprocessing {
    this.checkLength(maxLength);
    return { kind: 'tokenizer', sha256: this.sha256, maxLength, padId: this.padId, vocabSize: this.vocabSize, textColumn, json: this.json };
  }

  /** @throws HeadstartError (usage) when `maxLength` leaves no room for text after the special tokens. */
  checkLength(maxLength: number): void {
    if (!Number.isSafeInteger(maxLength) || maxLength <= this.specialCount) {
      throw new HeadstartError(
        'USAGE',
        `max length must be a whole number above ${this.specialCount} (the special tokens ${this.file} adds), got ${maxLength}`,
      );
    }
  }
}

/** Characters of the first prefix tried: at least this, or this many a token of room. */
const MIN_PREFIX = 256;
const PREFIX_PER_TOKEN = 4;
/** Tokens a prefix must have beyond the room, so the words its cut may change fall outside it. */
const PREFIX_MARGIN = 16;

/** The index of the first whitespace at or after `from` (where a prefix may end), or undefined. */
function prefixCut(text: string, from: number): number | undefined {
  if (from >= text.length) return undefined;
  const space = /\s/g;
  space.lastIndex = from;
  return space.exec(text)?.index;
}

/**
 * Read a Hugging Face `tokenizer.json`.
 * @throws DataError naming the file: missing, unreadable, not JSON, or a field the tokenizer needs is wrong.
 */
export async function readTokenizer(file: string, options: TokenizerOptions = {}): Promise<TextTokenizer> {
  const json = await readFile(file, 'utf8').catch((error: unknown) => Promise.reject(readError(file, error)));
  return TextTokenizer.fromJson(json, file, options);
}

/** The library's tokenizer, its construction errors turned into one line naming the component. */
function construct(json: TokenizerJson, file: string): Tokenizer {
  try {
    return new Tokenizer(json, {});
  } catch (error) {
    const message = (error as Error).message;
    const component = /^Unknown (Normalizer|PreTokenizer|PostProcessor|Decoder|TokenizerModel) type/.exec(message)?.[1];
    const field = component ? COMPONENT_FIELDS[component] : undefined;
    throw new DataError(file, `${field ? `${field}: ` : ''}not a tokenizer @huggingface/tokenizers reads (${message})`);
  }
}

const COMPONENT_FIELDS: Record<string, string> = {
  Normalizer: 'normalizer',
  PreTokenizer: 'pre_tokenizer',
  PostProcessor: 'post_processor',
  Decoder: 'decoder',
  TokenizerModel: 'model.type',
};

function padIdOf(json: TokenizerJson, tokenizer: Tokenizer, file: string, padToken: string | undefined): number {
  if (padToken !== undefined) {
    const id = tokenizer.token_to_id(padToken);
    if (id === undefined) throw new DataError(file, `the padding token "${padToken}" is not in the vocabulary`);
    return id;
  }
  const padding = json.padding as { pad_token?: unknown; pad_id?: unknown } | null | undefined;
  if (padding && typeof padding.pad_token === 'string') {
    const id = tokenizer.token_to_id(padding.pad_token);
    if (id === undefined) throw new DataError(file, `padding.pad_token: "${padding.pad_token}" is not in the vocabulary`);
    return id;
  }
  for (const token of PAD_TOKENS) {
    const id = tokenizer.token_to_id(token);
    if (id !== undefined) return id;
  }
  throw new DataError(file, 'padding: no padding token ("padding.pad_token", "[PAD]" or "<pad>"); name one (padToken)');
}
