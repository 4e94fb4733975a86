import { defaultEpochs, describeEpochs, epochsForSteps, HEAD_WARMUP_STEPS } from './small-data.js';

/** Rate of every weight when `continued` trains a kept head (no warm-up): a tenth of the from-scratch rate. */
export const CONTINUED_LR = 1e-4;
/** Rate of every weight after the head warm-up: the random head no longer distorts the pretrained features. */
export const CONTINUED_WARM_LR = 1e-3;

/** What `continued` was given (undefined: not given) and what it knows of the run. */
export interface ContinuedGiven {
  epochs?: number | undefined;
  lr?: number | undefined;
  headEpochs?: number | undefined;
  batchSize: number;
  /** Training samples. */
  samples: number;
  /** Whether the head was replaced by a fresh one (new labels). */
  replacedHead: boolean;
}

/** `continued`'s phases with every default resolved, and the defaults it chose. */
export interface ContinuedPlan {
  /** Epochs of the head warm-up (base frozen); 0: none. */
  headEpochs: number;
  epochs: number;
  lr: number;
  /** The options that were not given, with the value chosen (for provenance). */
  defaults: Record<string, number>;
  /** One line saying what was chosen and why; undefined when everything was given. */
  note?: string | undefined;
}

/**
 * Resolve `continued`'s defaults (fastai's `fine_tune` on tiny data): a replaced head warms up first, base frozen,
 * for {@link HEAD_WARMUP_STEPS} steps, then every weight trains at {@link CONTINUED_WARM_LR}; the warm-up is on by
 * default only when neither `lr` nor `epochs` was given, so a given recipe trains exactly as asked. Epochs not given
 * are {@link defaultEpochs} (more on tiny data).
 */
export function continuedPlan(g: ContinuedGiven): ContinuedPlan {
  const defaults: Record<string, number> = {};
  // A kept head has nothing to warm up: no default to choose (or record) then.
  const headEpochs =
    g.headEpochs ??
    (g.replacedHead
      ? (defaults.headEpochs = g.lr === undefined && g.epochs === undefined ? epochsForSteps(HEAD_WARMUP_STEPS, g.samples, g.batchSize) : 0)
      : 0);
  const epochs = g.epochs ?? (defaults.epochs = defaultEpochs(g.samples, g.batchSize));
  const lr = g.lr ?? (defaults.lr = headEpochs > 0 ? CONTINUED_WARM_LR : CONTINUED_LR);
  if (Object.keys(defaults).length === 0) return { headEpochs, epochs, lr, defaults };
  const warmup = headEpochs > 0 ? `the new head alone first for ${describeEpochs(headEpochs, g.samples, g.batchSize)}, then ` : '';
  const why =
    headEpochs > 0 || g.headEpochs !== undefined
      ? ''
      : g.replacedHead
        ? ' (no head warm-up: a recipe was given)'
        : ' (the head is kept: no warm-up)';
  const note = `continued: ${warmup}every weight for ${describeEpochs(epochs, g.samples, g.batchSize)} at lr ${lr}${why}; defaults chosen for this data: ${Object.entries(
    defaults,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}`;
  return { headEpochs, epochs, lr, defaults, note };
}
