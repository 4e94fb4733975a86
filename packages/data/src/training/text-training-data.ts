import { HeadstartError, type StrategyData, type TokenDataset, type TokenizerPreprocessing } from '@headstart/core';
import { buildVocabulary } from '../text/build-vocabulary.js';
import { loadTextDataset } from '../text/load-text-dataset.js';
import { readTextRows } from '../text/text-rows.js';
import { readTokenizer, TextTokenizer } from '../text/text-tokenizer.js';
import { holdOutValidation } from './training-splits.js';

/** Tokens a sequence when neither `maxLength` nor a starting model's tokenizer says otherwise. */
export const DEFAULT_MAX_LENGTH = 128;

/** How a text run reads its data (`headstart train --text-column`, or `train({ textColumn })`). */
export interface TextTrainingAsk {
  /** Labelled training texts, a CSV or JSONL file. */
  data: string;
  /** Unlabelled texts for pre-training (`--unlabeled`), tokenised like `data`; a built vocabulary counts their words too. */
  unlabeled?: string | undefined;
  /** Validation texts; without it a share `valSplit` of `data` is held out. */
  val?: string | undefined;
  valSplit: number;
  seed: number;
  /** The text column or field. */
  textColumn: string;
  /** The label column or field. */
  label: string;
  /** A Hugging Face `tokenizer.json`; without it (and without `inherited`) one is built from `data`'s and `unlabeled`'s texts. */
  tokenizer?: string | undefined;
  /** Tokens a sequence; default the starting model's, else {@link DEFAULT_MAX_LENGTH}. */
  maxLength?: number | undefined;
  /** Most tokens of a vocabulary built from `data` (default 8000). */
  vocabSize?: number | undefined;
  /** The tokenizer of the model the run starts from, which the ids must match. */
  inherited?: { tokenizer: TokenizerPreprocessing; file: string } | undefined;
  /** How messages name each option (`--tokenizer`, or `tokenizer`). */
  names: { tokenizer: string; maxLength: string; vocabSize: string };
}

/**
 * The tokenised splits of a text run: the tokenizer chosen (the starting model's, a file, or a
 * vocabulary built from the training and unlabelled texts), the training file tokenised, validation
 * from `val` or a seeded stratified share of `data` (the split `holdOutValidation` makes of
 * features), and `unlabeled` tokenised the same way without labels.
 * @throws HeadstartError (USAGE) for options that contradict the starting model's tokenizer; DataError naming files.
 */
export async function loadTextTrainingData(ask: TextTrainingAsk): Promise<StrategyData> {
  const { tokenizer, maxLength } = await chooseTokenizer(ask);
  const common = { tokenizer, maxLength, text: ask.textColumn, label: ask.label };
  const all = await loadTextDataset(ask.data, { ...common, labelled: true });
  const unlabeled = ask.unlabeled === undefined ? {} : { unlabeled: await loadTextDataset(ask.unlabeled, { ...common, labelled: false }) };
  if (ask.val !== undefined) {
    const val = await loadTextDataset(ask.val, { ...common, labelled: true, labelMap: all.labelMap });
    return { train: all, val, ...unlabeled };
  }
  const { train, val } = splitTokens(all, ask.valSplit, ask.seed);
  return { train, ...(val ? { val } : {}), ...unlabeled };
}

async function chooseTokenizer(ask: TextTrainingAsk): Promise<{ tokenizer: TextTokenizer; maxLength: number }> {
  if (ask.inherited) {
    const { tokenizer: record, file } = ask.inherited;
    const refuse = (name: string, what: string): never => {
      throw new HeadstartError('USAGE', `${name}: the starting model ${file} was trained on ${what}; leave ${name} out`);
    };
    if (ask.tokenizer !== undefined) refuse(ask.names.tokenizer, 'its own tokenizer (recorded in it)');
    if (ask.vocabSize !== undefined) refuse(ask.names.vocabSize, `its tokenizer's vocabulary of ${record.vocabSize} tokens`);
    if (ask.maxLength !== undefined && ask.maxLength !== record.maxLength)
      refuse(`${ask.names.maxLength} ${ask.maxLength}`, `sequences of ${record.maxLength} tokens`);
    return { tokenizer: TextTokenizer.fromPreprocessing(record, file), maxLength: record.maxLength };
  }
  const maxLength = ask.maxLength ?? DEFAULT_MAX_LENGTH;
  if (ask.tokenizer !== undefined) {
    if (ask.vocabSize !== undefined)
      throw new HeadstartError(
        'USAGE',
        `${ask.names.vocabSize}: the tokenizer ${ask.tokenizer} has its own vocabulary; ${ask.names.vocabSize} sizes one built from the data`,
      );
    return { tokenizer: await readTokenizer(ask.tokenizer), maxLength };
  }
  const files = [ask.data, ...(ask.unlabeled === undefined ? [] : [ask.unlabeled])];
  const vocabulary = await buildVocabulary(texts(files, ask.textColumn), ask.vocabSize ? { vocabSize: ask.vocabSize } : {});
  return {
    tokenizer: TextTokenizer.fromJson(vocabulary.json, `${files.join(' and ')} (${files.length > 1 ? 'their' : 'its'} vocabulary)`),
    maxLength,
  };
}

async function* texts(files: readonly string[], text: string): AsyncGenerator<string> {
  for (const file of files) for await (const row of readTextRows(file, { text, labelled: false })) yield row.text;
}

/**
 * Hold out a seeded stratified share of token sequences, the same rows {@link holdOutValidation}
 * holds out of features with the same labels and seed: it splits the row numbers.
 */
export function splitTokens(data: TokenDataset, fraction: number, seed: number): { train: TokenDataset; val?: TokenDataset | undefined } {
  const rows = Float32Array.from({ length: data.size }, (_, i) => i);
  const split = holdOutValidation(
    { size: data.size, sampleShape: [1], features: rows, labels: data.labels, labelMap: data.labelMap, source: data.source },
    fraction,
    seed,
  );
  if (!split.val) return { train: data };
  return { train: tokenRows(data, split.train.features), val: tokenRows(data, split.val.features) };
}

/** The sequences at `rows`, in that order. */
function tokenRows(data: TokenDataset, rows: Float32Array): TokenDataset {
  const t = data.sequenceLength;
  const inputIds = new Int32Array(rows.length * t);
  const attentionMask = new Int32Array(rows.length * t);
  const labels = data.labels ? new Int32Array(rows.length) : undefined;
  rows.forEach((row, i) => {
    inputIds.set(data.inputIds.subarray(row * t, (row + 1) * t), i * t);
    attentionMask.set(data.attentionMask.subarray(row * t, (row + 1) * t), i * t);
    if (labels) labels[i] = data.labels![row]!;
  });
  return { ...data, size: rows.length, inputIds, attentionMask, ...(labels ? { labels } : {}) };
}
