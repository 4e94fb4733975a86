import { createRng, MAX_SEED, type Dataset, type Label, type Preprocessing, type StartingPoint, type StrategyData } from '@headstart/core';
import {
  alignFeatures,
  applyPreprocessing,
  filterByLabels,
  computePreprocessing,
  isDecimal,
  loadDataset,
  stratifiedSplit,
  streamChunks,
  takePerClass,
} from '@headstart/data';
import { augmentationFor } from './augment-option.js';
import { CliError } from './cli-error.js';

/** Data flags shared by `train`, `evaluate` and `predict`. */
export interface DataFlags {
  data: string;
  val?: string | undefined;
  /** Share of `data` held out for validation when there is no `val`; default {@link DEFAULT_VAL_SPLIT}. */
  valSplit?: string | undefined;
  unlabeled?: string | undefined;
  label?: string | undefined;
  inputShape?: string | undefined;
  scale?: string | undefined;
  standardize?: boolean | undefined;
  seed?: string | undefined;
  /** Keep only these classes (a pipeline stage's `labels`). */
  labels?: Label[] | undefined;
  /** Keep this many training samples a class (a label budget). */
  perClass?: number | undefined;
  /** Image augmentation of the training batches (`flip,crop=2,shift=1`). */
  augment?: string | undefined;
  /** How errors name where `augment` was given; default `--augment`. */
  augmentWhere?: string | undefined;
}

/** `8,8,1` → `[8, 8, 1]`, or a usage error naming the flag. */
export function parseShape(text: string | undefined, flag = '--input-shape'): number[] | undefined {
  if (text === undefined) return undefined;
  const dims = text.split(/[,x]/).map((d) => Number(d.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new CliError(`${flag}: expected positive integers separated by commas (like 8,8,1), got "${text}"`);
  }
  return dims;
}

/** The numbers a flag takes, and how its error says so. */
export interface NumberRule {
  /** What the error says was expected: `a number > 0`. */
  expected: string;
  accepts(n: number): boolean;
}

/** Any finite number. */
export const ANY_NUMBER: NumberRule = { expected: 'a number', accepts: Number.isFinite };
/** A finite number above 0. */
export const POSITIVE: NumberRule = { expected: 'a number > 0', accepts: (n) => Number.isFinite(n) && n > 0 };
/**
 * A scale factor (`--scale`): above 0 and within float32's range, like the data it divides —
 * `1e39` would shrink every feature towards float32's smallest values and the model learns nothing.
 */
export const SCALE_FACTOR: NumberRule = {
  expected: 'a number > 0, at most 3.4e38 (float32)',
  accepts: (n) => Number.isFinite(n) && n > 0 && n <= 3.4028234663852886e38,
};
/** A share of the data: 0 ≤ n < 1 (`--val-split`). */
export const FRACTION: NumberRule = { expected: 'a fraction from 0 up to (not including) 1', accepts: (n) => n >= 0 && n < 1 };
/** A seed the RNG tells apart from every other (it reads 32 bits). */
export const SEED: NumberRule = {
  expected: `a whole number from 0 to ${MAX_SEED}`,
  accepts: (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED,
};

/** Default `--seed`. */
export const DEFAULT_SEED = '42';
/** Default `--val-split` of `train` when there is no `--val`. */
export const DEFAULT_VAL_SPLIT = '0.1';

/**
 * A number flag in plain decimal notation (`0x10` and `Infinity` are refused) that `rule`
 * accepts, or a usage error naming the flag and what it takes.
 */
export function parseNumber(text: string | undefined, flag: string, rule: NumberRule = ANY_NUMBER): number | undefined {
  if (text === undefined) return undefined;
  const n = isDecimal(text.trim()) ? Number(text) : NaN;
  if (!rule.accepts(n)) throw new CliError(`${flag}: expected ${rule.expected}, got "${text}"`);
  return n;
}

/** `--seed`, default {@link DEFAULT_SEED}. */
export function parseSeed(text: string | undefined): number {
  return parseNumber(text ?? DEFAULT_SEED, '--seed', SEED)!;
}

/** What a run's data takes from the model it starts from: its preprocessing, input shape and column order. */
export interface InheritedData {
  preprocessing?: Preprocessing | undefined;
  inputShape?: number[] | undefined;
  featureNames?: string[] | undefined;
}

/** {@link InheritedData} of a starting point (`--from`, or a pipeline's previous stage). */
export function inheritedFrom(from: StartingPoint | undefined): InheritedData | undefined {
  return from
    ? { preprocessing: from.preprocessing, inputShape: from.spec.inputShape, featureNames: from.manifest?.featureNames }
    : undefined;
}

/**
 * Load the training data of `train`: the labelled set, validation (a file or a stratified split),
 * unlabelled data; fit preprocessing on the training set (or reuse `inherited` from the starting
 * checkpoint) and apply it to every split.
 */
export async function loadTrainingData(
  flags: DataFlags,
  inherited?: InheritedData,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const sampleShape = parseShape(flags.inputShape) ?? inherited?.inputShape;
  // Columns are read in the order the starting model was trained on, so its weights (and its
  // standardize statistics) meet the features they were fitted to.
  const featureNames = inherited?.featureNames;
  const common = { label: flags.label ?? 'label', ...(sampleShape ? { sampleShape } : {}), ...(featureNames ? { featureNames } : {}) };
  const seed = parseSeed(flags.seed);
  const keep = (d: Dataset): Dataset => (flags.labels ? filterByLabels(d, flags.labels) : d);
  let train = keep(await loadDataset(flags.data, { ...common, labelled: true }));
  let val: Dataset | undefined;
  if (flags.val) {
    // With a label filter the validation file may hold other classes too: filter it the same way
    // (which orders its classes as the training set's) instead of refusing labels training never sees.
    val = flags.labels
      ? keep(await loadDataset(flags.val, { ...common, labelled: true }))
      : await loadDataset(flags.val, { ...common, labelled: true, labelMap: train.labelMap });
    val = alignFeatures(val, train.featureNames);
  } else {
    const fraction = parseNumber(flags.valSplit ?? DEFAULT_VAL_SPLIT, '--val-split', FRACTION)!;
    if (fraction > 0) ({ train, test: val } = stratifiedSplit(train, fraction, createRng(seed ^ 0x5eed)));
  }
  if (flags.perClass) train = takePerClass(train, flags.perClass, createRng(seed ^ 0xb0d9e7));
  const unlabeled = flags.unlabeled
    ? alignFeatures(await loadDataset(flags.unlabeled, { ...common, labelled: false }), train.featureNames)
    : undefined;
  const augment = augmentationFor(flags.augment, train.sampleShape, flags.augmentWhere);
  const preprocessing = choosePreprocessing(flags, train, inherited?.preprocessing);
  const apply = (d: Dataset | undefined): Dataset | undefined => (d ? applyPreprocessing(preprocessing, d) : undefined);
  return {
    data: {
      train: apply(train)!,
      ...(val ? { val: apply(val) } : {}),
      ...(unlabeled ? { unlabeled: apply(unlabeled) } : {}),
      ...(augment ? { augment } : {}),
    },
    preprocessing,
  };
}

function choosePreprocessing(flags: DataFlags, train: Dataset, inherited: Preprocessing | undefined): Preprocessing {
  const factor = parseNumber(flags.scale, '--scale', SCALE_FACTOR);
  if (factor !== undefined) return computePreprocessing('scale', train, factor);
  if (flags.standardize) return computePreprocessing('standardize', train);
  return inherited ?? { kind: 'none' };
}

/** What {@link streamForModel} needs to know of a checkpoint. */
export interface ModelDataNeeds {
  /** Its label map: labels are matched against it (`"3"` is `3`). */
  labels?: Label[] | undefined;
  /** Its input columns, in order: named columns are matched by name. */
  featureNames?: string[] | undefined;
  inputShape: number[];
  preprocessing: Preprocessing;
}

/**
 * Stream labelled or unlabelled data for a trained model in chunks of `chunkSize` samples, so a
 * file larger than memory can be evaluated or predicted on: its label map, column order, input
 * shape and preprocessing applied to every chunk. A label the model never saw is an error naming
 * the line; a column it never saw, or one it needs that is missing, an error naming both.
 */
export async function* streamForModel(
  file: string,
  model: ModelDataNeeds,
  options: { label?: string | undefined; labelled: boolean | 'optional'; chunkSize?: number | undefined; signal?: AbortSignal | undefined },
): AsyncGenerator<Dataset> {
  const chunks = streamChunks(file, {
    label: options.label ?? 'label',
    labelled: options.labelled,
    sampleShape: model.inputShape,
    chunkSize: options.chunkSize ?? 1024,
    ...(model.featureNames ? { featureNames: model.featureNames } : {}),
    ...(model.labels ? { labelMap: model.labels } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // CSV puts columns in the model's order itself; alignFeatures covers plugin loaders with named columns that do not.
  for await (const chunk of chunks) yield applyPreprocessing(model.preprocessing, alignFeatures(chunk, model.featureNames));
}
