import { booleanOption, trainingOptionsSchema } from '@headstart/core';
import { z } from 'zod';
import { classifierLossShape } from './classifier-loss.js';

/** `a,b` from `--set freeze=a,b` (or `target=a,b`), or the list `--freeze` gives. */
export const globList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

/**
 * Options shared by the strategies that start from a trained model: where the head starts, what to
 * freeze, discriminative learning rates, L2-SP, and the classifier's loss options.
 */
export const transferOptionsSchema = trainingOptionsSchema.extend({
  /** First layer of the head (`--head`); default: the last layer with parameters. */
  head: z.string().min(1).optional(),
  /** Parameter-name globs to keep frozen (`--freeze`, repeatable). */
  freeze: globList.default([]),
  /** Each layer group below the top trains at the rate of the one above times this (1: one rate for all). */
  lrMult: z.coerce.number().positive().max(1).default(1),
  /** L2-SP weight: pull the weights towards the starting ones by `l2sp/2 · ‖w − w₀‖²` (0: off). */
  l2sp: z.coerce.number().min(0).default(0),
  /** Train a head on a deterministic frozen base from features computed once (much faster). */
  cacheFeatures: booleanOption.default(true),
  ...classifierLossShape,
});

/** Parsed transfer options. */
export type TransferOptions = z.infer<typeof transferOptionsSchema>;
