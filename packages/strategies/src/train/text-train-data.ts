import {
  HeadstartError,
  isTokenDataset,
  type Preprocessing,
  type StartingPoint,
  type StrategyData,
  type TokenDataset,
} from '@headstart/core';
import {
  DEFAULT_VALIDATION_SHARE,
  holdOutValidation,
  isTextRunAsked,
  loadTextRun,
  startingText,
  TEXT_FILE_OPTIONS,
  type TextRunWording,
} from '@headstart/data';
import { badOption, type TrainOptions } from './train-options.js';

/** Refusals name the option: `train: maxLength: …`. */
const OPTION_WORDING: TextRunWording = {
  name: (option) => option,
  askForText: 'textColumn (the column holding the text) or a TokenDataset',
  refuse: (message) => {
    throw new HeadstartError('BAD_INPUT', `train: ${message}`);
  },
};

/**
 * Whether a {@link train} run is on text: `data` is a `TokenDataset`, `textColumn` is given, or
 * the starting model records a tokenizer. Text options without text, and options of float
 * features with it, are refused (the table `headstart train` reads too: `TEXT_RUN_OPTIONS`).
 * @throws HeadstartError `BAD_INPUT` naming the option.
 */
export function isTextTraining(asked: TrainOptions, from: StartingPoint | undefined): boolean {
  return isTextRunAsked(asked, from, typeof asked.data === 'string' ? undefined : isTokenDataset(asked.data), OPTION_WORDING);
}

/**
 * The data of a text {@link train} run, as `headstart train --text-column` prepares it: a file
 * tokenised (the starting model's tokenizer, `tokenizer`, or a vocabulary built from `data` and
 * `unlabeled`, cached in `tokenCache`), or the `TokenDataset`s given; validation from `val` or a
 * seeded stratified share of `data`; `unlabeled` (for `pretrain-finetune` with `objective: 'mlm'`)
 * of the same kind as `data`.
 */
export async function textTrainData(
  asked: TrainOptions,
  from: StartingPoint | undefined,
  seed: number,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const valSplit = asked.valSplit ?? DEFAULT_VALIDATION_SHARE;
  const none: Preprocessing = { kind: 'none' };
  if (typeof asked.data !== 'string') {
    if (!isTokenDataset(asked.data)) throw badOption('data', 'expected token sequences (a TokenDataset)');
    const given = TEXT_FILE_OPTIONS.find((name) => asked[name] !== undefined);
    if (given) throw badOption(given, 'data is already tokenised (a TokenDataset); leave it out');
    if (asked.val !== undefined && (typeof asked.val === 'string' || !isTokenDataset(asked.val)))
      throw badOption('val', 'data is a TokenDataset, so val must be one too');
    if (asked.unlabeled !== undefined && (typeof asked.unlabeled === 'string' || !isTokenDataset(asked.unlabeled)))
      throw badOption('unlabeled', 'data is a TokenDataset, so unlabeled must be one too');
    checkTokenizedFor(asked.data, from);
    const val = asked.val;
    const data = val ? { train: asked.data, val } : holdOutValidation(asked.data, valSplit, seed);
    const unlabeled = asked.unlabeled ? { unlabeled: asked.unlabeled } : {};
    return { data: { train: data.train, ...(data.val ? { val: data.val } : {}), ...unlabeled }, preprocessing: none };
  }
  if (asked.val !== undefined && typeof asked.val !== 'string') throw badOption('val', 'data is a text file, so val must be one too');
  if (asked.unlabeled !== undefined && typeof asked.unlabeled !== 'string')
    throw badOption('unlabeled', 'data is a text file, so unlabeled must be one too');
  const data = await loadTextRun(
    {
      data: asked.data,
      val: asked.val,
      unlabeled: asked.unlabeled,
      valSplit,
      seed,
      textColumn: asked.textColumn,
      label: asked.label,
      tokenizer: asked.tokenizer,
      maxLength: asked.maxLength,
      vocabSize: asked.vocabSize,
      tokenCache: asked.tokenCache,
    },
    from,
    // These refusals come from loading, not through OPTION_WORDING: they carry its `train: ` themselves.
    { name: (option) => `train: ${OPTION_WORDING.name(option)}`, log: asked.onEvent },
  );
  return { data, preprocessing: none };
}

/** Token sequences given to a run from a text model must come from that model's tokenizer. */
function checkTokenizedFor(data: TokenDataset, from: StartingPoint | undefined): void {
  const start = startingText(from);
  const mine = data.tokenizer;
  if (start.inherited) {
    const { tokenizer, file } = start.inherited;
    if (mine.sha256 !== tokenizer.sha256 || mine.maxLength !== tokenizer.maxLength)
      throw badOption(
        'data',
        `tokenised by another tokenizer or length (sha256 ${mine.sha256.slice(0, 12)}…, ${mine.maxLength} tokens) than the starting model ${file} records (${tokenizer.sha256.slice(0, 12)}…, ${tokenizer.maxLength} tokens)`,
      );
  }
  if (start.bareEncoder && mine.vocabSize > start.bareEncoder.rows)
    throw badOption(
      'data',
      `its tokenizer has ${mine.vocabSize} tokens, but the starting model ${start.bareEncoder.file}'s embedding "${start.bareEncoder.embedding}" has ${start.bareEncoder.rows} rows`,
    );
}
