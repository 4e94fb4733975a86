import { DataError, type Dataset } from '@headstart/core';
import { shortList } from './short-list.js';

/**
 * Put a dataset's named columns in the order a model was trained on (`expected`, from its
 * checkpoint): the same columns in another order are reordered; a missing or unknown column is
 * an error. Data without column names (JSONL arrays, images, IDX) is returned as it is.
 * The CSV loader does the same row by row when given the `featureNames` option.
 * @throws DataError naming the file and the columns that differ.
 */
export function alignFeatures(dataset: Dataset, expected: readonly string[] | undefined): Dataset {
  const names = dataset.featureNames;
  if (!expected || !names || sameOrder(names, expected)) return dataset;
  // Named columns that are not one value each (reshaped images) cannot be reordered by name.
  if (names.length * dataset.size !== dataset.features.length) return dataset;
  checkSameColumns(dataset.source.file, names, expected);
  const position = new Map(names.map((name, i) => [name, i]));
  const from = expected.map((name) => position.get(name)!);
  const width = names.length;
  const features = new Float32Array(dataset.features.length);
  for (let row = 0; row < dataset.size; row++) {
    const base = row * width;
    for (let j = 0; j < width; j++) features[base + j] = dataset.features[base + from[j]!]!;
  }
  return { ...dataset, features, featureNames: [...expected] };
}

/**
 * Check that a file's feature columns (`names`) are the `expected` ones, in any order.
 * @throws DataError naming the missing and unknown columns and listing the expected ones.
 * @internal
 */
export function checkSameColumns(file: string, names: readonly string[], expected: readonly string[]): void {
  const found = new Set(names);
  const wanted = new Set(expected);
  const missing = expected.filter((name) => !found.has(name));
  const extra = names.filter((name) => !wanted.has(name));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    missing.length > 0 ? `missing column${missing.length > 1 ? 's' : ''} ${shortList(missing)}` : '',
    extra.length > 0 ? `unknown column${extra.length > 1 ? 's' : ''} ${shortList(extra)}` : '',
  ];
  throw new DataError(
    file,
    `${parts.filter(Boolean).join(' and ')}; the model was trained on ${expected.length} columns: ${shortList(expected)}`,
  );
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
