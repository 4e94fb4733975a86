import type { Preprocessing, StartingPoint, StrategyData } from '@headstart/core';
import { DEFAULT_VALIDATION_SHARE, loadTextTrainingData, startingText } from '@headstart/data';
import { CliError } from './cli-error.js';
import { FRACTION, parseNumber, parseSeed, type DataFlags, type NumberRule } from './data-options.js';

/** The text flags of `headstart train`. */
export interface TextFlags {
  /** The column (CSV) or field (JSONL) holding the text: training on text. */
  textColumn?: string | undefined;
  /** A Hugging Face `tokenizer.json`; default a vocabulary built from `--data`. */
  tokenizer?: string | undefined;
  maxLength?: string | undefined;
  vocabSize?: string | undefined;
}

/** A whole number above 0 (`--max-length`). */
const POSITIVE_WHOLE: NumberRule = { expected: 'a whole number > 0', accepts: (n) => Number.isInteger(n) && n > 0 };
/** A vocabulary holds the 5 special tokens and at least one more (`--vocab-size`). */
const VOCABULARY_SIZE: NumberRule = {
  expected: 'a whole number > 5 (the special tokens and more)',
  accepts: (n) => Number.isInteger(n) && n > 5,
};

/** Flags of numeric features that mean nothing for text, and would otherwise be ignored without a word. */
const FEATURE_FLAGS = [
  ['scale', '--scale'],
  ['standardize', '--standardize'],
  ['inputShape', '--input-shape'],
  ['augment', '--augment'],
] as const;

/**
 * Whether the run trains on text: `--text-column` is given, or `--from` is a text model (its
 * checkpoint records a tokenizer). The text flags without text are refused.
 * @throws CliError naming the flag.
 */
export function isTextRun(flags: DataFlags & TextFlags, from: StartingPoint | undefined): boolean {
  const text = flags.textColumn !== undefined || from?.manifest?.tokenizer !== undefined;
  if (!text) {
    const given = (['tokenizer', 'maxLength', 'vocabSize'] as const).find((name) => flags[name] !== undefined);
    if (given) throw new CliError(`--${kebab(given)}: only for text data; give --text-column COLUMN (the column holding the text)`);
    return false;
  }
  for (const [name, flag] of FEATURE_FLAGS)
    if (flags[name] !== undefined) throw new CliError(`${flag}: applies to numeric features, not text (--text-column); leave it out`);
  if (from && !from.manifest?.tokenizer && !from.spec.inputs)
    throw new CliError(
      `--text-column: the --from model ${from.file} takes ${from.spec.inputShape.reduce((a, b) => a * b, 1)} float features per sample, not text`,
    );
  return true;
}

/**
 * The tokenised data of a text run: `--text-column` of `--data` (default the starting model's
 * column), tokenised with the starting model's tokenizer, `--tokenizer`, or a vocabulary built from
 * `--data` and `--unlabeled`; validation from `--val` or a stratified `--val-split` of `--data`;
 * `--unlabeled` (the same column) tokenised the same way, for pre-training.
 */
export async function loadTextRunData(
  flags: DataFlags & TextFlags,
  from: StartingPoint | undefined,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const inherited = from?.manifest?.tokenizer;
  const data = await loadTextTrainingData({
    data: flags.data,
    val: flags.val,
    unlabeled: flags.unlabeled,
    valSplit: parseNumber(flags.valSplit ?? String(DEFAULT_VALIDATION_SHARE), '--val-split', FRACTION)!,
    seed: parseSeed(flags.seed),
    textColumn: flags.textColumn ?? inherited?.textColumn ?? 'text',
    label: flags.label ?? 'label',
    tokenizer: flags.tokenizer,
    maxLength: parseNumber(flags.maxLength, '--max-length', POSITIVE_WHOLE),
    vocabSize: parseNumber(flags.vocabSize, '--vocab-size', VOCABULARY_SIZE),
    ...startingText(from),
    names: { tokenizer: '--tokenizer', maxLength: '--max-length', vocabSize: '--vocab-size' },
  });
  return { data, preprocessing: { kind: 'none' } };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
