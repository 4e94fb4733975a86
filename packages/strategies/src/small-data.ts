/**
 * Defaults that depend on the size of the training data (issue 15; the experiments behind the numbers are in
 * docs/few-shot-defaults.md). Each applies only to an option that was not given, and the strategies record what they
 * chose (provenance `defaults`, and one line on stderr that `--dry-run` prints too).
 */

/** Epochs a strategy trains by default when the data is large enough (the shared schema's default). */
export const DEFAULT_EPOCHS = 30;

/**
 * Fewest optimizer steps a default phase trains: 30 epochs of 45 samples are 60 steps, far too few for a new head
 * to learn (PyTorch's hand-tuned few-shot recipe takes 200). On larger data 30 epochs are more than this already.
 */
export const MIN_STEPS = 300;

/** Steps of the head warm-up (the base frozen) before `continued` trains a replaced head with everything else. */
export const HEAD_WARMUP_STEPS = 100;

/** Optimizer steps in one epoch of `samples` at `batchSize` (the last batch may be smaller). */
export function stepsPerEpoch(samples: number, batchSize: number): number {
  return Math.max(1, Math.ceil(samples / batchSize));
}

/** Epochs of at least `minEpochs` that give at least `steps` optimizer steps. */
export function epochsForSteps(steps: number, samples: number, batchSize: number, minEpochs = 1): number {
  return Math.max(minEpochs, Math.ceil(steps / stepsPerEpoch(samples, batchSize)));
}

/**
 * Default epochs of a phase: {@link DEFAULT_EPOCHS}, or more when that would be fewer than {@link MIN_STEPS}
 * steps (tiny data).
 */
export function defaultEpochs(samples: number, batchSize: number): number {
  return epochsForSteps(MIN_STEPS, samples, batchSize, DEFAULT_EPOCHS);
}

/** `150 epochs (300 steps of batch 32 on 45 samples)`: what a number of epochs means on this data. */
export function describeEpochs(epochs: number, samples: number, batchSize: number): string {
  return `${epochs} epochs (${epochs * stepsPerEpoch(samples, batchSize)} steps of batch ${batchSize} on ${samples} samples)`;
}

/** `{ defaults }` for a strategy's result when any option was chosen from the data, else nothing. */
export function defaultsOf(defaults: Record<string, number>): { defaults?: Record<string, number> } {
  return Object.keys(defaults).length > 0 ? { defaults } : {};
}
