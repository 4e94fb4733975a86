import {
  DataError,
  HeadstartError,
  isTokenDataset,
  permutation,
  sizeOf,
  type Dataset,
  type Label,
  type Rng,
  type TokenDataset,
} from '@headstart/core';
import { labelIndex } from './label-map.js';

/** Float features or token sequences: what the splits below take and give back in kind. */
export type AnyDataset = Dataset | TokenDataset;

/** A dataset cut in two, as {@link stratifiedSplit} returns it. */
export interface DatasetSplit<D extends AnyDataset = Dataset> {
  train: D;
  test: D;
}

/**
 * The samples at `indices` (in that order) as a new dataset with copied rows. Label map, shape,
 * feature names, tokenizer and source are kept.
 */
export function subset<D extends AnyDataset>(dataset: D, indices: ArrayLike<number>): D {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.size)
      throw new RangeError(`sample index ${index} is outside 0..${dataset.size - 1}`);
  }
  const labels = dataset.labels ? Int32Array.from(indices, (index) => dataset.labels![index]!) : undefined;
  const rows = isTokenDataset(dataset)
    ? {
        inputIds: copyRows(dataset.inputIds, dataset.sequenceLength, indices),
        attentionMask: copyRows(dataset.attentionMask, dataset.sequenceLength, indices),
      }
    : { features: copyRows((dataset as Dataset).features, sizeOf((dataset as Dataset).sampleShape), indices) };
  return { ...dataset, size: indices.length, ...rows, ...(labels ? { labels } : {}) };
}

/** Rows `indices` of a row-major `[n, width]` array, in that order. */
function copyRows<A extends Float32Array | Int32Array>(from: A, width: number, indices: ArrayLike<number>): A {
  const to = new (from.constructor as new (length: number) => A)(indices.length * width);
  for (let i = 0; i < indices.length; i++) to.set(from.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
  return to;
}

/**
 * Split off a seeded random `testFraction` of each class (of all samples, when unlabelled), so
 * both parts keep the class proportions; a class with two or more samples always lands in both.
 * Each part keeps the original sample order.
 */
export function stratifiedSplit<D extends AnyDataset>(dataset: D, testFraction: number, rng: Rng): DatasetSplit<D> {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`the test fraction must be between 0 and 1, got ${testFraction}`);
  const groups = dataset.labels ? indicesByClass(dataset) : [Array.from({ length: dataset.size }, (_, i) => i)];
  const train: number[] = [];
  const test: number[] = [];
  for (const group of groups) {
    const shuffled = seededShuffle(group, rng);
    const wanted = Math.round(group.length * testFraction);
    const count = group.length < 2 ? 0 : Math.min(Math.max(wanted, 1), group.length - 1);
    test.push(...shuffled.slice(0, count));
    train.push(...shuffled.slice(count));
  }
  return { train: subset(dataset, ascending(train)), test: subset(dataset, ascending(test)) };
}

/**
 * Only the samples of `labels`, re-indexed so class `i` is `labels[i]` (the data's own label
 * values, in the given order). A label the data does not have is an error.
 */
export function filterByLabels<D extends AnyDataset>(dataset: D, labels: readonly Label[]): D {
  const { labelMap, labels: classes } = requireLabels(dataset, 'filterByLabels');
  const newClass = new Int32Array(labelMap.length).fill(-1);
  labels.forEach((label, position) => {
    const old = labelIndex(labelMap, label);
    if (old < 0) throw new DataError(dataset.source.file, `has no label ${JSON.stringify(label)} (its labels: ${labelMap.join(', ')})`);
    if (newClass[old] !== -1) throw new HeadstartError('USAGE', `label ${JSON.stringify(label)} is listed twice`);
    newClass[old] = position;
  });
  const kept = [...classes.keys()].filter((i) => newClass[classes[i]!]! >= 0);
  const picked = subset(dataset, kept);
  return { ...picked, labels: picked.labels!.map((c) => newClass[c]!), labelMap: labels.map((l) => labelMap[labelIndex(labelMap, l)]!) };
}

/**
 * `k` seeded random samples of every class (all of a class that has fewer), in the original
 * order: the "few labels" of a fine-tuning experiment.
 */
export function takePerClass<D extends AnyDataset>(dataset: D, k: number, rng: Rng): D {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`samples per class must be a positive whole number, got ${k}`);
  requireLabels(dataset, 'takePerClass');
  const picked = indicesByClass(dataset).flatMap((group) => seededShuffle(group, rng).slice(0, k));
  return subset(dataset, ascending(picked));
}

/** The same samples without labels or label map (for unsupervised pre-training). */
export function withoutLabels<D extends AnyDataset>(dataset: D): D {
  const { labels: _labels, labelMap: _labelMap, ...rest } = dataset;
  return rest as D;
}

/** Sample indices of each class, ascending, by class index. */
function indicesByClass(dataset: AnyDataset): number[][] {
  const groups: number[][] = Array.from({ length: dataset.labelMap?.length ?? 0 }, () => []);
  dataset.labels?.forEach((c, i) => (groups[c] ??= []).push(i));
  return groups;
}

function requireLabels(dataset: AnyDataset, operation: string): { labelMap: Label[]; labels: Int32Array } {
  if (!dataset.labels || !dataset.labelMap) throw new DataError(dataset.source.file, `has no labels, but ${operation} needs labelled data`);
  return { labelMap: dataset.labelMap, labels: dataset.labels };
}

function seededShuffle(items: readonly number[], rng: Rng): number[] {
  return Array.from(permutation(items.length, rng), (i) => items[i]!);
}

function ascending(indices: number[]): number[] {
  return indices.sort((a, b) => a - b);
}
