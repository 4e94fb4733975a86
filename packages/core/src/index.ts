// @headstart/core: what users and plugin authors need. Contracts (model spec, backend, model,
// trainer, strategy, data set and loader types), the plugin registry, errors, checkpoints and
// the training loop. Helpers for backend authors are in `@headstart/core/backend-kit`; data
// loaders, splits and preprocessing in `@headstart/data`.

// Errors, tensors, seeded randomness.
export * from './errors.js';
export * from './tensors.js';
export * from './rng.js';

// The model spec.
export * from './spec/layers.js';
export * from './spec/model-spec.js';
export * from './spec/shapes.js';
export { MODEL_INPUT, nodeInputs, type GraphNode } from './spec/graph.js';
export * from './spec/chain.js';
export * from './spec/sequence-support.js';
export * from './spec/graph-cut.js';
export * from './spec/initializers.js';
export * from './spec/default-spec.js';
export * from './spec/default-text-spec.js';

// Plugin contracts and the registry.
export type * from './backend.js';
export * from './device.js';
export type * from './strategy.js';
export type * from './data/dataset.js';
export * from './data/token-dataset.js';
export * from './registry.js';
export * from './strategy-options.js';
export { decideHeadSize } from './head-size.js';

// Checkpoints.
export * from './checkpoint/manifest.js';
export * from './checkpoint/index.js';

// The training loop.
export type * from './train/events.js';
export type * from './train/fit-plan.js';
export * from './train/schedules.js';
export * from './train/lr-range.js';
export * from './train/metrics.js';
export { classProbabilities, classProbabilitiesOf, outputsLogits, predictRows, type Predictor } from './train/class-probabilities.js';
export * from './train/fit.js';
export * from './train/batch-transform.js';
export * from './train/teacher.js';
export { batchOrder, makeBatch } from './data/batches.js';
export { makeTokenBatch, type TokenBatch } from './data/token-batches.js';
export * from './data/mask-tokens.js';
export { IGNORE_TOKEN } from './backend-kit/token-targets.js';
export { tokenDatasetDigest } from './data/dataset-digest.js';
export * from './data/training-data.js';
export * from './run/run-training.js';
export { readStartingPoint } from './run/checkpoint-start.js';
export * from './run/lr-find.js';
export * from './run/resume-path.js';
export { lockOutput, type LockWording } from './run/output-lock.js';
export * from './run/output-safety.js';
export * from './run/resume-slot.js';
export * from './run/training-output.js';
export * from './io/index.js';

// Deprecated: the backend kit's names, until the built-in backends import `@headstart/core/backend-kit`.
