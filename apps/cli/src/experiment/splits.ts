import { createRng, type Preprocessing, type TokenDataset, type TrainingData } from '@headstart/core';
import {
  applyPreprocessing,
  concatUnlabeledAny,
  filterByLabels,
  computePreprocessing,
  loadDataset,
  loadTextTrainingData,
  startingText,
  stratifiedSplit,
  takePerClass,
  uniqueSequences,
} from '@headstart/data';
import { loadStartingPoint } from '../start-point.js';
import type { Experiment, TextColumn } from './experiment.js';

/** The data of one seed: source classes, the target's test set and its pool of training samples. */
export interface SeedData {
  /** Labelled pre-training data; absent when the source is a trained model or pre-trains without labels. */
  source?: TrainingData | undefined;
  pool: TrainingData;
  test: TrainingData;
  /** Source samples and the target pool, without labels: what unsupervised pre-training may see. */
  unlabeled: TrainingData;
  preprocessing: Preprocessing;
}

/** The experiment's data, loaded and preprocessed once. */
export interface ExperimentData {
  target: TrainingData;
  source?: TrainingData | undefined;
  preprocessing: Preprocessing;
  /** Text: how many sequences repeated an earlier one and were dropped. */
  repeatsDropped?: number | undefined;
}

/**
 * Load and preprocess the experiment's data once (the scale is fitted on the target data). Text is
 * tokenised with the source model's tokenizer or a vocabulary built from every text of `data` (a
 * tokenizer sees no labels).
 */
export async function loadExperimentData(e: Experiment): Promise<ExperimentData> {
  if (e.text) return loadTextData(e, e.text);
  const load = (file: string) => loadDataset(file, { label: e.label, ...(e.inputShape ? { sampleShape: e.inputShape } : {}) });
  const rawTarget = await load(e.data);
  const preprocessing = e.scale ? computePreprocessing('scale', rawTarget, e.scale) : { kind: 'none' as const };
  const target = applyPreprocessing(preprocessing, rawTarget);
  if (e.source.model) return { target, preprocessing };
  const sourceAll = e.source.data && e.source.data !== e.data ? applyPreprocessing(preprocessing, await load(e.source.data)) : target;
  return { target, source: e.source.labels ? filterByLabels(sourceAll, e.source.labels) : sourceAll, preprocessing };
}

/**
 * The texts of `e.data`, tokenised with the source model's tokenizer when it is a text model, else
 * with a vocabulary built from them; the source classes are some of them (`source.labels`). A
 * sequence that repeats an earlier one is dropped, so that no test sequence is also trained on.
 */
async function loadTextData(e: Experiment, text: TextColumn): Promise<ExperimentData> {
  const from = e.source.model ? await loadStartingPoint(e.source.model) : undefined;
  const { train: all } = await loadTextTrainingData({
    data: e.data,
    valSplit: 0,
    seed: 0,
    textColumn: text.column,
    label: e.label,
    maxLength: text.maxLength,
    vocabSize: text.vocabSize,
    ...startingText(from),
    names: { tokenizer: 'tokenizer', maxLength: 'text.maxLength', vocabSize: 'text.vocabSize' },
  });
  const { data: target, dropped } = uniqueSequences(all as TokenDataset);
  const source = e.source.labels ? { source: filterByLabels(target, e.source.labels) } : {};
  return { target, ...source, preprocessing: { kind: 'none' }, repeatsDropped: dropped };
}

/** Split for one seed: the test set is held out of everything, labels and unlabelled pool alike. */
export function seedData(e: Experiment, data: ExperimentData, seed: number): SeedData {
  const targetAll = e.target.labels ? filterByLabels(data.target, e.target.labels) : data.target;
  const { train: pool, test } = stratifiedSplit(targetAll, e.target.testFraction, createRng(seed));
  const unlabeled = concatUnlabeledAny(data.source ? [data.source, pool] : [pool]);
  return { ...(data.source ? { source: data.source } : {}), pool, test, unlabeled, preprocessing: data.preprocessing };
}

/** `budget` labelled samples a class from the pool, seeded. */
export function labelled(data: SeedData, budget: number, seed: number): TrainingData {
  return takePerClass(data.pool, budget, createRng(seed * 7919 + budget));
}
