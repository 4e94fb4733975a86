import {
  HeadstartError,
  tokenEmbedding,
  type Label,
  type StartingPoint,
  type StrategyData,
  type TokenDataset,
  type TokenizerPreprocessing,
} from '@headstart/core';
import { buildVocabulary } from '../text/build-vocabulary.js';
import { loadTextDataset, type TokenCacheEvent } from '../text/load-text-dataset.js';
import { readTextRows } from '../text/text-rows.js';
import { readTokenizer, TextTokenizer } from '../text/text-tokenizer.js';
import { filterByLabels } from '../transforms/split.js';
import { holdOutValidation, labelBudget } from './training-splits.js';

/** Tokens a sequence when neither `maxLength` nor a starting model's tokenizer says otherwise. */
export const DEFAULT_MAX_LENGTH = 128;

/** How a text run reads its data (`headstart train --text-column`, or `train({ textColumn })`). */
export interface TextTrainingAsk {
  /** Labelled training texts, a CSV or JSONL file. */
  data: string;
  /** Keep only these classes of `data` and `val` (a pipeline stage's `labels`), in this order. */
  labels?: readonly Label[] | undefined;
  /** Keep this many training texts a class (a label budget), drawn after validation is held out. */
  perClass?: number | undefined;
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
  /**
   * A starting text encoder that records no tokenizer (imported without its tokenizer.json): its
   * token embedding's rows. Its ids mean something only through the tokenizer it was trained with,
   * so `tokenizer` is then required and must fit the embedding.
   */
  bareEncoder?: { file: string; embedding: string; rows: number } | undefined;
  /** How messages name each option (`--tokenizer`, or `tokenizer`). */
  names: { tokenizer: string; maxLength: string; vocabSize: string };
  /** The token cache folder (see `tokenCacheDir`); no caching without it. */
  cacheDir?: string | undefined;
  /** Read the cache but write nothing to it (`--dry-run`, `lr-find`). */
  cacheReadOnly?: boolean | undefined;
  /** Told, for each file, whether its tokens came from the cache or were tokenised and stored. */
  onCache?: ((event: TokenCacheEvent) => void) | undefined;
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
  const common = {
    tokenizer,
    maxLength,
    text: ask.textColumn,
    label: ask.label,
    cacheDir: ask.cacheDir,
    cacheReadOnly: ask.cacheReadOnly,
    onCache: ask.onCache,
  };
  const keep = (d: TokenDataset): TokenDataset => (ask.labels ? filterByLabels(d, ask.labels) : d);
  const all = keep(await loadTextDataset(ask.data, { ...common, labelled: true }));
  const unlabeled = ask.unlabeled === undefined ? {} : { unlabeled: await loadTextDataset(ask.unlabeled, { ...common, labelled: false }) };
  // With a label filter the validation file may hold other classes too: filtered the same way, it orders its classes as training's.
  const { train, val } =
    ask.val === undefined
      ? holdOutValidation(all, ask.valSplit, ask.seed)
      : {
          train: all,
          val: keep(await loadTextDataset(ask.val, { ...common, labelled: true, ...(ask.labels ? {} : { labelMap: all.labelMap }) })),
        };
  const budgeted = ask.perClass ? labelBudget(train, ask.perClass, ask.seed) : train;
  return { train: budgeted, ...(val ? { val } : {}), ...unlabeled };
}

/**
 * What a text run must know of the model it starts from: the tokenizer it records, or, for a text
 * encoder that records none, its token embedding (see {@link TextTrainingAsk.bareEncoder}).
 */
export function startingText(from: StartingPoint | undefined): Pick<TextTrainingAsk, 'inherited' | 'bareEncoder'> {
  if (!from) return {};
  const tokenizer = from.manifest?.tokenizer;
  if (tokenizer) return { inherited: { tokenizer, file: from.file } };
  const embedding = tokenEmbedding(from.spec);
  return embedding ? { bareEncoder: { file: from.file, embedding: embedding.name, rows: embedding.vocabSize } } : {};
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
  if (ask.bareEncoder) return { tokenizer: await bareEncoderTokenizer(ask, ask.bareEncoder), maxLength };
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

/** The tokenizer of a run from an encoder that records none: given, and small enough for its embedding. */
async function bareEncoderTokenizer(ask: TextTrainingAsk, encoder: NonNullable<TextTrainingAsk['bareEncoder']>): Promise<TextTokenizer> {
  const name = ask.names.tokenizer;
  if (ask.tokenizer === undefined)
    throw new HeadstartError(
      'USAGE',
      `${name}: the starting model ${encoder.file} is a text encoder that records no tokenizer; give ${name} FILE (the tokenizer.json it was trained with)`,
    );
  if (ask.vocabSize !== undefined)
    throw new HeadstartError('USAGE', `${ask.names.vocabSize}: the starting model ${encoder.file} has its own vocabulary; leave it out`);
  const tokenizer = await readTokenizer(ask.tokenizer);
  if (tokenizer.vocabSize > encoder.rows)
    throw new HeadstartError(
      'USAGE',
      `${name} ${ask.tokenizer}: has ${tokenizer.vocabSize} tokens, but the starting model's embedding "${encoder.embedding}" has ${encoder.rows} rows: it is not that model's tokenizer`,
    );
  return tokenizer;
}

async function* texts(files: readonly string[], text: string): AsyncGenerator<string> {
  for (const file of files) for await (const row of readTextRows(file, { text, labelled: false })) yield row.text;
}
