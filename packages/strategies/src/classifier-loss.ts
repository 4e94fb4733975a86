import { HeadstartError, type BatchTransform, type Dataset, type LossOptions } from '@headstart/core';
import { mixupTransform } from './mixup.js';
import { z } from 'zod';

/** `--set classWeights=`: `none`, `balanced`, or one weight per class (`1,2.5,1`). */
const classWeightsOption = z.preprocess(
  (v) => (typeof v === 'string' && v !== 'none' && v !== 'balanced' ? v.split(',').map((s) => Number(s.trim())) : v),
  z.union([z.enum(['none', 'balanced']), z.array(z.number().positive().finite()).min(1)]),
);

/**
 * The cross-entropy options of the classifying strategies, with PyTorch's `CrossEntropyLoss`
 * semantics: label smoothing ε and per-class weights (see docs/strategies.md).
 */
export const classifierLossShape = {
  /** ε in [0, 1): each target becomes `(1 − ε)·onehot + ε/classes` (0: off). */
  labelSmoothing: z.coerce.number().min(0).lt(1).default(0),
  /**
   * `none`; `balanced` (`samples / (classes · samples of the class)`, from the training data, as
   * scikit-learn's); or one weight per class in class-index order (the order `inspect` lists labels).
   */
  classWeights: classWeightsOption.default('none'),
  /** mixup's α: each training batch mixed with a shuffled copy of itself, `λ ~ Beta(α, α)` (0: off). */
  mixup: z.coerce.number().min(0).finite().default(0),
};

/** Parsed classifier loss options. */
export type ClassifierLossOptions = {
  labelSmoothing: number;
  classWeights: 'none' | 'balanced' | number[];
  mixup: number;
};

/**
 * The trainer's loss options for these options and training data, or undefined when none is on.
 * @throws HeadstartError (BAD_INPUT) when a weight list's length is not the class count, or
 * `balanced` meets a class with no training sample.
 */
export function lossOptionsFrom(
  options: Partial<ClassifierLossOptions>,
  train: Pick<Dataset, 'size' | 'labels' | 'labelMap'>,
): LossOptions | undefined {
  const classWeights = classWeightsFor(options.classWeights ?? 'none', train);
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (labelSmoothing === 0 && !classWeights) return undefined;
  return { ...(labelSmoothing > 0 ? { labelSmoothing } : {}), ...(classWeights ? { classWeights } : {}) };
}

/**
 * The mixup transform these options ask for on `train` (undefined when `mixup` is 0).
 * @throws HeadstartError (USAGE) for data without class labels.
 */
export function mixupFrom(
  options: Partial<ClassifierLossOptions>,
  train: Pick<Dataset, 'size' | 'labels' | 'labelMap'>,
): BatchTransform | undefined {
  if (!options.mixup) return undefined;
  const classes = train.labelMap?.length ?? 0;
  if (!train.labels || classes === 0) throw new HeadstartError('USAGE', 'mixup: the training data has no class labels to mix');
  return mixupTransform(options.mixup, classes);
}

function classWeightsFor(
  option: ClassifierLossOptions['classWeights'],
  train: Pick<Dataset, 'size' | 'labels' | 'labelMap'>,
): number[] | undefined {
  if (option === 'none') return undefined;
  const labels = train.labelMap ?? [];
  if (option !== 'balanced') {
    if (option.length !== labels.length)
      throw new HeadstartError(
        'BAD_INPUT',
        `classWeights: expected ${labels.length} weights, one per class (${labels.join(', ')}), got ${option.length}`,
      );
    return option;
  }
  const counts = new Array<number>(labels.length).fill(0);
  for (const label of train.labels ?? []) counts[label]! += 1;
  const empty = counts.indexOf(0);
  if (empty >= 0)
    throw new HeadstartError('BAD_INPUT', `classWeights=balanced: class ${String(labels[empty])} has no training sample to weigh`);
  return counts.map((n) => train.size / (labels.length * n));
}
