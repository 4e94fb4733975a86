import {
  applyPreprocessing,
  concatUnlabeled,
  createRng,
  filterByLabels,
  fitPreprocessing,
  loadDataset,
  stratifiedSplit,
  takePerClass,
  type Dataset,
  type Preprocessing,
} from '@headstart/core';
import type { Experiment } from './experiment.js';

/** The data of one seed: source classes, the target's test set and its pool of training samples. */
export interface SeedData {
  source: Dataset;
  pool: Dataset;
  test: Dataset;
  /** Source images and the target pool, without labels: what unsupervised pre-training may see. */
  unlabeled: Dataset;
  preprocessing: Preprocessing;
}

/** Load and preprocess the experiment's data once. */
export async function loadExperimentData(e: Experiment): Promise<{ all: Dataset; preprocessing: Preprocessing }> {
  const raw = await loadDataset(e.data, { label: e.label, ...(e.inputShape ? { sampleShape: e.inputShape } : {}) });
  const preprocessing = e.scale ? fitPreprocessing('scale', raw, e.scale) : { kind: 'none' as const };
  return { all: applyPreprocessing(preprocessing, raw), preprocessing };
}

/** Split for one seed: the test set is held out of everything, labels and unlabelled pool alike. */
export function seedData(e: Experiment, all: Dataset, preprocessing: Preprocessing, seed: number): SeedData {
  const source = filterByLabels(all, e.source.labels);
  const { train: pool, test } = stratifiedSplit(filterByLabels(all, e.target.labels), e.target.testFraction, createRng(seed));
  return { source, pool, test, unlabeled: concatUnlabeled([source, pool]), preprocessing };
}

/** `budget` labelled samples a class from the pool, seeded. */
export function labelled(data: SeedData, budget: number, seed: number): Dataset {
  return takePerClass(data.pool, budget, createRng(seed * 7919 + budget));
}
