import { DataError } from '@headstart/core';

/** The `model.type`s of a `tokenizer.json` that @huggingface/tokenizers reads. */
export const TOKENIZER_MODEL_TYPES = ['WordPiece', 'BPE', 'Unigram'] as const;

/** The components besides `model` that a `tokenizer.json` may have (absent or `null`: none). */
const COMPONENTS = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const;

/** A `tokenizer.json` parsed and checked far enough that the tokenizer library can take it. */
export type TokenizerJson = Record<string, unknown> & {
  model: Record<string, unknown> & { type: string };
  added_tokens: { id: number; content: string; special?: boolean }[];
};

/**
 * Parse the text of a Hugging Face `tokenizer.json` and check the fields headstart and the
 * tokenizer library rely on: `model.type`, `model.vocab` (token → id, or Unigram's
 * `[token, score]` pairs), BPE's `model.merges`, `added_tokens`, and each component an object
 * with a `type` (or null). Components left out are read as none.
 * @throws DataError, one line naming `file` and the field.
 */
export function parseTokenizerJson(text: string, file: string): TokenizerJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DataError(file, `not valid JSON (${(error as Error).message}); expected a Hugging Face tokenizer.json`);
  }
  const fail = (field: string, problem: string): never => {
    throw new DataError(file, `${field}: ${problem}`);
  };
  if (!isObject(raw)) return fail('(root)', 'expected a JSON object (a Hugging Face tokenizer.json)');
  const model = raw.model;
  if (!isObject(model)) return fail('model', 'expected an object with the tokenizer model (type, vocab)');
  if (!(TOKENIZER_MODEL_TYPES as readonly unknown[]).includes(model.type)) {
    fail('model.type', `expected ${TOKENIZER_MODEL_TYPES.join(', ')}, found ${show(model.type)}`);
  }
  checkVocab(model, fail);
  if (model.type === 'BPE') checkMerges(model.merges, fail);
  const added = raw.added_tokens ?? [];
  if (!Array.isArray(added)) return fail('added_tokens', `expected a list, found ${show(added)}`);
  added.forEach((token: unknown, i) => {
    if (!isObject(token) || !isId(token.id) || typeof token.content !== 'string') {
      fail(`added_tokens[${i}]`, `expected {"id": <integer ≥ 0>, "content": <text>}, found ${show(token)}`);
    }
  });
  const components: Record<string, unknown> = {};
  for (const name of COMPONENTS) {
    const component = raw[name] ?? null;
    if (component !== null && !(isObject(component) && typeof component.type === 'string')) {
      fail(name, `expected an object with a "type", or null, found ${show(component)}`);
    }
    components[name] = component;
  }
  return { ...raw, ...components, model, added_tokens: added } as TokenizerJson;
}

function checkVocab(model: Record<string, unknown>, fail: (field: string, problem: string) => never): void {
  const vocab = model.vocab;
  if (model.type === 'Unigram') {
    if (!Array.isArray(vocab) || vocab.length === 0)
      fail('model.vocab', `expected a non-empty list of [token, score], found ${show(vocab)}`);
    return;
  }
  if (!isObject(vocab) || Object.keys(vocab).length === 0) fail('model.vocab', `expected an object of token → id, found ${show(vocab)}`);
  for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (!isId(id)) fail(`model.vocab["${token}"]`, `expected a token id (an integer ≥ 0), found ${show(id)}`);
  }
}

function checkMerges(merges: unknown, fail: (field: string, problem: string) => never): void {
  if (!Array.isArray(merges)) return fail('model.merges', `expected a list of merges ("a b" or ["a", "b"]), found ${show(merges)}`);
  merges.forEach((merge: unknown, i) => {
    const pair = Array.isArray(merge) && merge.length === 2 && merge.every((part) => typeof part === 'string');
    if (!pair && !(typeof merge === 'string' && merge.includes(' '))) {
      fail(`model.merges[${i}]`, `expected "a b" or ["a", "b"], found ${show(merge)}`);
    }
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
