import { Tokenizer } from '@huggingface/tokenizers';

/** The special tokens of a vocabulary built here, with ids 0..4 in this order (BERT's names). */
export const VOCABULARY_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** How to build a vocabulary from a corpus. */
export interface VocabularyOptions {
  /** Most tokens in the vocabulary, the specials included. Default 8000. */
  vocabSize?: number | undefined;
  /** Fewest occurrences of a word (or character) to enter the vocabulary. Default 2. */
  minFrequency?: number | undefined;
  /** Lowercase (and strip accents from) the text first, as uncased BERT does. Default true. */
  lowercase?: boolean | undefined;
}

/** A vocabulary built by {@link buildVocabulary}: its `tokenizer.json` text and what went into it. */
export interface BuiltVocabulary {
  /** A Hugging Face `tokenizer.json` (BERT-style WordPiece), ready for `TextTokenizer.fromJson`. */
  json: string;
  /** Tokens in the vocabulary, the specials included. */
  size: number;
  /** Distinct words seen in the corpus. */
  words: number;
}

/**
 * Build a WordPiece-style vocabulary from the user's own texts, as a `tokenizer.json` that reads
 * like BERT's (`BertNormalizer`, `BertPreTokenizer`, `[CLS] $A [SEP]`), so a corpus without a
 * tokenizer and a downloaded tokenizer give the same kind of artefact. The text is split into
 * words by that normaliser and pre-tokenizer themselves; the vocabulary holds the specials
 * ({@link VOCABULARY_SPECIALS}), then every character seen `minFrequency` times, both as a word
 * start (`c`) and a continuation (`##c`), so an unseen word falls back to pieces instead of
 * `[UNK]`, then the most frequent words. Ties are broken by code-unit order: the same corpus in
 * any row order gives the same bytes.
 */
export async function buildVocabulary(
  texts: AsyncIterable<string> | Iterable<string>,
  options: VocabularyOptions = {},
): Promise<BuiltVocabulary> {
  const vocabSize = options.vocabSize ?? 8000;
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isSafeInteger(vocabSize) || vocabSize <= VOCABULARY_SPECIALS.length) {
    throw new RangeError(
      `vocabulary size must be a whole number above ${VOCABULARY_SPECIALS.length} (the special tokens), got ${vocabSize}`,
    );
  }
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1)
    throw new RangeError(`min frequency must be a whole number ≥ 1, got ${minFrequency}`);
  const lowercase = options.lowercase ?? true;
  const splitter = wordSplitter(lowercase);
  const words = new Map<string, number>();
  for await (const text of texts) {
    for (const word of splitter(text)) words.set(word, (words.get(word) ?? 0) + 1);
  }
  const tokens = chooseTokens(words, vocabSize, minFrequency);
  return { json: `${JSON.stringify(tokenizerJson(tokens, lowercase), null, 2)}\n`, size: tokens.length, words: words.size };
}

/** The specials, then characters (`c`, `##c`), then whole words, by frequency, up to `vocabSize`. */
function chooseTokens(words: Map<string, number>, vocabSize: number, minFrequency: number): string[] {
  const characters = new Map<string, number>();
  for (const [word, count] of words) {
    for (const character of word) characters.set(character, (characters.get(character) ?? 0) + count);
  }
  const tokens: string[] = [...VOCABULARY_SPECIALS];
  const seen = new Set(tokens);
  const add = (token: string): void => {
    if (tokens.length < vocabSize && !seen.has(token)) {
      tokens.push(token);
      seen.add(token);
    }
  };
  for (const [character] of byFrequency(characters, minFrequency)) {
    add(character);
    add(`##${character}`);
  }
  for (const [word] of byFrequency(words, minFrequency)) add(word);
  return tokens;
}

/** Entries counted at least `minFrequency` times, most frequent first, ties in code-unit order. */
function byFrequency(counts: Map<string, number>, minFrequency: number): [string, number][] {
  return [...counts].filter(([, count]) => count >= minFrequency).sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
}

/** The words of a text as the built tokenizer will see them (its normaliser, then its pre-tokenizer). */
function wordSplitter(lowercase: boolean): (text: string) => string[] {
  const skeleton = new Tokenizer(tokenizerJson([...VOCABULARY_SPECIALS], lowercase), {});
  const normalize = skeleton.normalizer!;
  const preTokenize = skeleton.pre_tokenizer!;
  return (text) => preTokenize(normalize(text));
}

function tokenizerJson(tokens: readonly string[], lowercase: boolean): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] = id;
  });
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const sequence = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: VOCABULARY_SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), sequence('A', 0), special('[SEP]')],
      pair: [special('[CLS]'), sequence('A', 0), special('[SEP]'), sequence('B', 1), special('[SEP]')],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
