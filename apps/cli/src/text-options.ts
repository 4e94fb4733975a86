import type { EventSink, Preprocessing, StartingPoint, StrategyData } from '@headstart/core';
import { DEFAULT_VALIDATION_SHARE, isTextRunAsked, loadTextRun, TEXT_RUN_FLAGS, type TextRunWording } from '@headstart/data';
import { CliError } from './cli-error.js';
import { FRACTION, parseNumber, parseSeed, type DataFlags, type NumberRule } from './data-options.js';

/** The text flags of `headstart train` and `lr-find` (a pipeline stage's text fields become them). */
export interface TextFlags {
  /** The column (CSV) or field (JSONL) holding the text: training on text. */
  textColumn?: string | undefined;
  /** A Hugging Face `tokenizer.json`; default a vocabulary built from `--data`. */
  tokenizer?: string | undefined;
  maxLength?: string | undefined;
  vocabSize?: string | undefined;
  /** `--token-cache DIR`: where tokenised files are cached; `--no-token-cache`: false; default the user's cache. */
  tokenCache?: string | false | undefined;
}

/** What a text run may do with the token cache beyond reading it. */
export interface TextRunEnv {
  /** Told whether each file's tokens came from the cache (a log event). */
  emit: EventSink;
  /** The run writes nothing (`--dry-run`, `lr-find`): the cache is read, never written. */
  writesNothing?: boolean | undefined;
  /** How refusals name the text options (a pipeline's `stages[0] "a": tokenizer`); default the flags. */
  wording?: TextRunWording | undefined;
}

/** A whole number above 0 (`--max-length`). */
const POSITIVE_WHOLE: NumberRule = { expected: 'a whole number > 0', accepts: (n) => Number.isInteger(n) && n > 0 };
/** A vocabulary holds the 5 special tokens and at least one more (`--vocab-size`). */
const VOCABULARY_SIZE: NumberRule = {
  expected: 'a whole number > 5 (the special tokens and more)',
  accepts: (n) => Number.isInteger(n) && n > 5,
};

/** Refusals name flags: `--max-length` (the table `train()`'s names key: `TEXT_RUN_FLAGS`). */
const FLAG_WORDING: TextRunWording = {
  name: (option) => TEXT_RUN_FLAGS[option],
  askForText: '--text-column COLUMN (the column holding the text)',
  refuse: (message) => {
    throw new CliError(message);
  },
};

/**
 * Whether the run trains on text: `--text-column` is given, or `--from` is a text model (its
 * checkpoint records a tokenizer). The text flags without text, and the flags of float features
 * with it, are refused (the table both this and `train()` read: `TEXT_RUN_OPTIONS`).
 * @throws CliError naming the flag.
 */
export function isTextRun(flags: DataFlags & TextFlags, from: StartingPoint | undefined, wording = FLAG_WORDING): boolean {
  return isTextRunAsked(flags, from, undefined, wording);
}

/**
 * The tokenised data of a text run: `--text-column` of `--data` (default the starting model's
 * column), tokenised with the starting model's tokenizer, `--tokenizer`, or a vocabulary built from
 * `--data` and `--unlabeled`; validation from `--val` or a stratified `--val-split` of `--data`;
 * `--unlabeled` (the same column) tokenised the same way, for pre-training. Tokenised files are
 * cached (`--token-cache`; only read when the run writes nothing), and `env.emit` is told whether
 * each came from the cache.
 */
export async function loadTextRunData(
  flags: DataFlags & TextFlags,
  from: StartingPoint | undefined,
  env: TextRunEnv,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const wording = env.wording ?? FLAG_WORDING;
  const name = (option: 'maxLength' | 'vocabSize' | 'tokenizer'): string => wording.name(option);
  const data = await loadTextRun(
    {
      data: flags.data,
      val: flags.val,
      unlabeled: flags.unlabeled,
      valSplit: parseNumber(flags.valSplit ?? String(DEFAULT_VALIDATION_SHARE), '--val-split', FRACTION)!,
      seed: parseSeed(flags.seed),
      textColumn: flags.textColumn,
      label: flags.label,
      ...(flags.labels ? { labels: flags.labels } : {}),
      ...(flags.perClass ? { perClass: flags.perClass } : {}),
      tokenizer: flags.tokenizer,
      maxLength: parseNumber(flags.maxLength, name('maxLength'), POSITIVE_WHOLE),
      vocabSize: parseNumber(flags.vocabSize, name('vocabSize'), VOCABULARY_SIZE),
      tokenCache: flags.tokenCache,
    },
    from,
    { name, log: env.emit, writesNothing: env.writesNothing },
  );
  return { data, preprocessing: { kind: 'none' } };
}
