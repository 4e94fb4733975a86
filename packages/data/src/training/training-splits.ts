import { createRng } from '@headstart/core';
import { stratifiedSplit, takePerClass, type AnyDataset } from '../transforms/split.js';

/** Share of the training data held out for validation when no validation set is given (`--val-split`'s default). */
export const DEFAULT_VALIDATION_SHARE = 0.1;

/**
 * Hold out a stratified `fraction` of `train` for validation, drawn from `seed` as `headstart
 * train` draws it, so a library run and the CLI with the same seed validate on the same samples.
 * `fraction` 0 keeps everything for training.
 */
export function holdOutValidation<D extends AnyDataset>(train: D, fraction: number, seed: number): { train: D; val?: D | undefined } {
  if (!(fraction > 0)) return { train };
  const split = stratifiedSplit(train, fraction, createRng(seed ^ 0x5eed));
  return { train: split.train, val: split.test };
}

/** Keep `perClass` training samples a class (a label budget), drawn from `seed` as `headstart train` draws them. */
export function labelBudget<D extends AnyDataset>(train: D, perClass: number, seed: number): D {
  return takePerClass(train, perClass, createRng(seed ^ 0xb0d9e7));
}
