import {
  alignFeatures,
  applyPreprocessing,
  createRng,
  DataError,
  filterByLabels,
  fitPreprocessing,
  loadDataset,
  stratifiedSplit,
  takePerClass,
  type Dataset,
  type Label,
  type Preprocessing,
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

/**
 * Load the training data of `train`: the labelled set, validation (a file or a stratified split),
 * unlabelled data; fit preprocessing on the training set (or reuse `inherited` from the starting
 * checkpoint) and apply it to every split.
 */
export async function loadTrainingData(flags: DataFlags, inherited?: { preprocessing?: Preprocessing; inputShape?: number[] }): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const sampleShape = parseShape(flags.inputShape) ?? inherited?.inputShape;
  const common = { label: flags.label ?? 'label', ...(sampleShape ? { sampleShape } : {}) };
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
  const unlabeled = flags.unlabeled ? await loadDataset(flags.unlabeled, { ...common, labelled: false }) : undefined;
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

/**
 * Load labelled or unlabelled data for a trained model: its label map, column order, input shape
 * and preprocessing. A label the model never saw is an error naming the line; a column it never
 * saw, or one it needs that is missing, an error naming both.
 */
export async function loadForModel(
  file: string, model: { labels?: Label[]; featureNames?: string[]; inputShape: number[]; preprocessing: Preprocessing }, options: { label?: string; labelled: boolean | 'optional' },
): Promise<Dataset> {
  // Named columns are matched by name first (a missing one is named), then shaped as the model's input.
  const byName = model.featureNames !== undefined;
  const data = await loadDataset(file, {
    label: options.label ?? 'label',
    labelled: options.labelled,
    ...(byName ? {} : { sampleShape: model.inputShape }),
    ...(model.labels ? { labelMap: model.labels } : {}),
  });
  return applyPreprocessing(model.preprocessing, byName ? shapedAs(alignFeatures(data, model.featureNames), model.inputShape) : data);
}

/** The samples viewed in the model's input shape. @throws DataError when the sizes differ. */
function shapedAs(data: Dataset, shape: number[]): Dataset {
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (size(shape) !== size(data.sampleShape)) {
    throw new DataError(data.source.file, `sample shape [${shape.join(',')}] holds ${size(shape)} values, but each sample has ${size(data.sampleShape)}`);
  }
  return { ...data, sampleShape: [...shape] };
}
