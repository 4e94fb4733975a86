import type { Batch } from '../backend.js';
import { DataError } from '../errors.js';
import { permutation, type Rng } from '../rng.js';
import { sizeOf } from '../tensors.js';
import type { Dataset } from './dataset.js';

/** A seeded shuffled order of the samples `0..size-1`, for one epoch. */
export function batchOrder(size: number, rng: Rng): Uint32Array {
  return permutation(size, rng);
}

/**
 * The batch of samples `order[start..start+batchSize)` (fewer at the end), rows copied into fresh
 * buffers. `target` says what the model should output: the class index (`labels`) or its own
 * input (`inputs`, for an autoencoder; `targets` is a copy of `x`).
 */
export function makeBatch(
  dataset: Dataset,
  order: ArrayLike<number>,
  start: number,
  batchSize: number,
  target: 'labels' | 'inputs',
): Batch {
  const size = Math.min(batchSize, order.length - start);
  if (!(size > 0)) throw new RangeError(`batch start ${start} is past the last of ${order.length} samples`);
  const width = sizeOf(dataset.sampleShape);
  const x = new Float32Array(size * width);
  for (let i = 0; i < size; i++) {
    const row = order[start + i]!;
    x.set(dataset.features.subarray(row * width, (row + 1) * width), i * width);
  }
  if (target === 'inputs') return { x, size, targets: x.slice() };
  if (!dataset.labels) throw new DataError(dataset.source.file, 'has no labels, but training on labels needs them');
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) labels[i] = dataset.labels[order[start + i]!]!;
  return { x, size, labels };
}
