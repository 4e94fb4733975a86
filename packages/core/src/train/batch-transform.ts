import type { Batch } from '../backend.js';
import { mixSeeds } from '../backend-kit/dropout-mask.js';
import { HeadstartError } from '../errors.js';
import { createRng, type Rng } from '../rng.js';
import { sizeOf } from '../tensors.js';

/** A training batch as a {@link BatchTransform} receives it: the batch and the shape of one input sample. */
export interface TransformBatch extends Batch {
  /** Shape of one input sample, channels-last (`[height, width, channels]` for images). */
  readonly sampleShape: readonly number[];
}

/**
 * A change to every training batch before it reaches the backend: data augmentation, mixup, CutMix
 * (the extension point of Lightning's `training_step`). It runs on the batch's arrays, so it works
 * the same on every backend; validation and evaluation batches never pass through it.
 */
export interface BatchTransform {
  /** What it does, as `--dry-run` and provenance show it (`augment flip,crop=2`). */
  name: string;
  /**
   * The batch to train on in place of `batch`: `batch` itself changed in place, or a new one of the
   * same `size` and input shape. Draw every random number from `rng`: it is seeded from the run's
   * seed, the phase, the epoch and the batch's index in the epoch, so a run and its resumed
   * continuation transform every batch the same, on every backend.
   */
  apply(batch: TransformBatch, rng: Rng): Batch;
}

/** Apply `first`, then `second`; either may be absent (data augmentation before a strategy's mixup). */
export function composeTransforms(first: BatchTransform | undefined, second: BatchTransform | undefined): BatchTransform | undefined {
  if (!first || !second) return first ?? second;
  return {
    name: `${first.name}, then ${second.name}`,
    apply: (batch, rng) => second.apply({ ...first.apply(batch, rng), sampleShape: batch.sampleShape }, rng),
  };
}

/** Tells a transform's draws apart from the dropout masks, which are seeded from the same seed and step. */
const TRANSFORM_STREAM = 0x7a5f0b;

/**
 * The generator a transform gets for batch `index` of `epoch` in `phase`: a function of those and
 * the run's seed alone, never of a stream that a resumed run would restart.
 */
export function batchRng(seed: number, phase: string, epoch: number, index: number): Rng {
  return createRng(mixSeeds(seed, TRANSFORM_STREAM, stringSeed(phase), epoch, index));
}

/**
 * `transform` applied to `batch`, checked to keep the batch's size and input size (an empty `x`
 * for a batch of named inputs, token ids, whose `x` is empty).
 * @throws HeadstartError `PLUGIN_ERROR` naming the transform when it does not.
 */
export function transformBatch(transform: BatchTransform, batch: Batch, sampleShape: readonly number[], rng: Rng): Batch {
  const out = transform.apply({ ...batch, sampleShape }, rng);
  const expected = batch.inputs && batch.x.length === 0 ? 0 : batch.size * sizeOf([...sampleShape]);
  if (out.size !== batch.size || out.x.length !== expected) {
    throw new HeadstartError(
      'PLUGIN_ERROR',
      `batch transform "${transform.name}" returned ${out.size} samples of ${out.x.length} values; expected ${batch.size} samples of ${expected} values`,
    );
  }
  return out;
}

/** A 32-bit seed from a string (FNV-1a over its UTF-16 code units). */
function stringSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
