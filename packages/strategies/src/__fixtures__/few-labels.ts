import { join } from 'node:path';
import { createRng, type Dataset } from '@headstart/core';
import { applyPreprocessing, filterByLabels, loadDataset, registerLoaders, subset, takePerClass, withoutLabels } from '@headstart/data';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', '..', 'data', 'digits', 'digits.csv');

/** The setting without a pretrained model: digits 0-4 unlabelled, `k` labels a class of 5-9, the rest of 5-9 to test on. */
export interface FewLabels {
  unlabeled: Dataset;
  few: Dataset;
  rest: Dataset;
}

/** Digits scaled to [0, 1], cut as {@link FewLabels}; `seed` picks the labelled samples (takePerClass). */
export async function fewLabels(k: number, seed = 1): Promise<FewLabels> {
  const all = applyPreprocessing({ kind: 'scale', factor: 16 }, await loadDataset(DIGITS));
  const target = filterByLabels(all, [5, 6, 7, 8, 9]);
  // takePerClass on the sample indices themselves, so the complement (the test set) is exact.
  const indices = takePerClass({ ...target, sampleShape: [1], features: Float32Array.from({ length: target.size }, (_, i) => i) }, k, createRng(seed));
  const taken = new Set(indices.features);
  return {
    unlabeled: withoutLabels(filterByLabels(all, [0, 1, 2, 3, 4])),
    few: subset(target, Array.from(indices.features)),
    rest: subset(target, Array.from({ length: target.size }, (_, i) => i).filter((i) => !taken.has(i))),
  };
}
