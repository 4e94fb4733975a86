import type { Dataset, Preprocessing } from '@headstart/core';
import { computePreprocessing } from '../transforms/preprocess.js';

/** The preprocessing a run asks for: divide by a factor, or standardize each feature. */
export interface PreprocessingAsk {
  /** Divide every feature by this factor (`--scale`). */
  scale?: number | undefined;
  /** Standardize each feature with the training set's mean and deviation (`--standardize`). */
  standardize?: boolean | undefined;
}

/**
 * The preprocessing of a training run, as `headstart train` chooses it: `ask` fitted on the
 * training set; without one, the starting model's (`inherited`), else none.
 */
export function trainingPreprocessing(train: Dataset, ask: PreprocessingAsk, inherited: Preprocessing | undefined): Preprocessing {
  if (ask.scale !== undefined) return computePreprocessing('scale', train, ask.scale);
  if (ask.standardize) return computePreprocessing('standardize', train);
  return inherited ?? { kind: 'none' };
}
