import {
  alignFeatures,
  applyPreprocessing,
  createRng,
  filterByLabels,
  fitPreprocessing,
  loadDataset,
  stratifiedSplit,
  streamChunks,
  takePerClass,
  type Dataset,
  type Label,
  type Preprocessing,
  type StartingPoint,
  type StrategyData,
} from '@headstart/core';
import { CliError } from './cli-error.js';

/** Data flags shared by `train`, `evaluate` and `predict`. */
export interface DataFlags {
  data: string;
  val?: string;
  valSplit?: string;
  unlabeled?: string;
  label?: string;
  inputShape?: string;
  scale?: string;
  standardize?: boolean;
  seed?: string;
  /** Keep only these classes (a pipeline stage's `labels`). */
  labels?: Label[];
  /** Keep this many training samples a class (a label budget). */
  perClass?: number;
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

/** A number flag, or a usage error naming it. */
export function parseNumber(text: string | undefined, flag: string, check: (n: number) => boolean = Number.isFinite): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !check(n)) throw new CliError(`${flag}: expected a ${check === Number.isInteger ? 'whole ' : ''}number, got "${text}"`);
  return n;
}

/** What a run's data takes from the model it starts from: its preprocessing, input shape and column order. */
export interface InheritedData {
  preprocessing?: Preprocessing;
  inputShape?: number[];
  featureNames?: string[];
}

/** {@link InheritedData} of a starting point (`--from`, or a pipeline's previous stage). */
export function inheritedFrom(from: StartingPoint | undefined): InheritedData | undefined {
  return from ? { preprocessing: from.preprocessing, inputShape: from.spec.inputShape, featureNames: from.manifest?.featureNames } : undefined;
}

/**
 * Load the training data of `train`: the labelled set, validation (a file or a stratified split),
 * unlabelled data; fit preprocessing on the training set (or reuse `inherited` from the starting
 * checkpoint) and apply it to every split.
 */
export async function loadTrainingData(
  flags: DataFlags, inherited?: InheritedData,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const sampleShape = parseShape(flags.inputShape) ?? inherited?.inputShape;
  // Columns are read in the order the starting model was trained on, so its weights (and its
  // standardize statistics) meet the features they were fitted to.
  const featureNames = inherited?.featureNames;
  const common = { label: flags.label ?? 'label', ...(sampleShape ? { sampleShape } : {}), ...(featureNames ? { featureNames } : {}) };
  const seed = parseNumber(flags.seed ?? '42', '--seed', Number.isInteger)!;
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
    const fraction = parseNumber(flags.valSplit ?? '0', '--val-split', (n) => n >= 0 && n < 1)!;
    if (fraction > 0) ({ train, test: val } = stratifiedSplit(train, fraction, createRng(seed ^ 0x5eed)));
  }
  if (flags.perClass) train = takePerClass(train, flags.perClass, createRng(seed ^ 0xb0d9e7));
  const unlabeled = flags.unlabeled ? alignFeatures(await loadDataset(flags.unlabeled, { ...common, labelled: false }), train.featureNames) : undefined;
  const preprocessing = choosePreprocessing(flags, train, inherited?.preprocessing);
  const apply = (d: Dataset | undefined): Dataset | undefined => (d ? applyPreprocessing(preprocessing, d) : undefined);
  return { data: { train: apply(train)!, ...(val ? { val: apply(val) } : {}), ...(unlabeled ? { unlabeled: apply(unlabeled) } : {}) }, preprocessing };
}

function choosePreprocessing(flags: DataFlags, train: Dataset, inherited: Preprocessing | undefined): Preprocessing {
  const factor = parseNumber(flags.scale, '--scale', (n) => Number.isFinite(n) && n > 0);
  if (factor !== undefined) return fitPreprocessing('scale', train, factor);
  if (flags.standardize) return fitPreprocessing('standardize', train);
  return inherited ?? { kind: 'none' };
}

/** What {@link streamForModel} needs to know of a checkpoint. */
export interface ModelDataNeeds {
  /** Its label map: labels are matched against it (`"3"` is `3`). */
  labels?: Label[];
  /** Its input columns, in order: named columns are matched by name. */
  featureNames?: string[];
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
  file: string, model: ModelDataNeeds, options: { label?: string; labelled: boolean | 'optional'; chunkSize?: number; signal?: AbortSignal },
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
