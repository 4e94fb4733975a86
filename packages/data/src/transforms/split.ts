import { DataError, HeadstartError, permutation, sizeOf, type Dataset, type Label, type Rng } from '@headstart/core';
import { labelIndex } from './label-map.js';

/** A dataset cut in two, as {@link stratifiedSplit} returns it. */
export interface DatasetSplit {
  train: Dataset;
  test: Dataset;
}

/**
 * The samples at `indices` (in that order) as a new dataset with copied rows. Label map, shape,
 * feature names and source are kept.
 */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const width = sizeOf(dataset.sampleShape);
  const features = new Float32Array(indices.length * width);
  const labels = dataset.labels ? new Int32Array(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.size)
      throw new RangeError(`sample index ${index} is outside 0..${dataset.size - 1}`);
    features.set(dataset.features.subarray(index * width, (index + 1) * width), i * width);
    if (labels) labels[i] = dataset.labels![index]!;
  }
  return { ...dataset, size: indices.length, features, ...(labels ? { labels } : {}) };
}

/**
 * Split off a seeded random `testFraction` of each class (of all samples, when unlabelled), so
 * both parts keep the class proportions; a class with two or more samples always lands in both.
 * Each part keeps the original sample order.
 */
export function stratifiedSplit(dataset: Dataset, testFraction: number, rng: Rng): DatasetSplit {
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
export function filterByLabels(dataset: Dataset, labels: readonly Label[]): Dataset {
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
export function takePerClass(dataset: Dataset, k: number, rng: Rng): Dataset {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`samples per class must be a positive whole number, got ${k}`);
  requireLabels(dataset, 'takePerClass');
  const picked = indicesByClass(dataset).flatMap((group) => seededShuffle(group, rng).slice(0, k));
  return subset(dataset, ascending(picked));
}

/** The same samples without labels or label map (for unsupervised pre-training). */
export function withoutLabels(dataset: Dataset): Dataset {
  const { labels: _labels, labelMap: _labelMap, ...rest } = dataset;
  return rest;
}

/** Sample indices of each class, ascending, by class index. */
function indicesByClass(dataset: Dataset): number[][] {
  const groups: number[][] = Array.from({ length: dataset.labelMap?.length ?? 0 }, () => []);
  dataset.labels?.forEach((c, i) => (groups[c] ??= []).push(i));
  return groups;
}

function requireLabels(dataset: Dataset, operation: string): { labelMap: Label[]; labels: Int32Array } {
  if (!dataset.labels || !dataset.labelMap) throw new DataError(dataset.source.file, `has no labels, but ${operation} needs labelled data`);
  return { labelMap: dataset.labelMap, labels: dataset.labels };
}

function seededShuffle(items: readonly number[], rng: Rng): number[] {
  return Array.from(permutation(items.length, rng), (i) => items[i]!);
}

function ascending(indices: number[]): number[] {
  return indices.sort((a, b) => a - b);
}
