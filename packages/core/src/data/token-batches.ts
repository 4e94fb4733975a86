import { DataError } from '../errors.js';
import type { TokenDataset } from './token-dataset.js';

/**
 * A batch of token sequences: what a model with `inputIds` and `attentionMask` inputs trains on.
 * Kept apart from {@link Batch} (float `x`) until the backends take named inputs; see
 * docs/text-data.md for how the two meet.
 */
export interface TokenBatch {
  /** `[size, sequenceLength]` token ids. */
  inputIds: Int32Array;
  /** `[size, sequenceLength]`, 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  size: number;
  sequenceLength: number;
  /** Class index per sequence, when training on labels. */
  labels?: Int32Array | undefined;
}

/**
 * The batch of sequences `order[start..start+batchSize)` (fewer at the end), rows copied into
 * fresh buffers, as {@link makeBatch} does for float features. `target: 'none'` leaves labels
 * out (masked-language modelling makes its own targets from the ids).
 */
export function makeTokenBatch(
  dataset: TokenDataset,
  order: ArrayLike<number>,
  start: number,
  batchSize: number,
  target: 'labels' | 'none',
): TokenBatch {
  const size = Math.min(batchSize, order.length - start);
  if (!(size > 0)) throw new RangeError(`batch start ${start} is past the last of ${order.length} samples`);
  const length = dataset.sequenceLength;
  const inputIds = new Int32Array(size * length);
  const attentionMask = new Int32Array(size * length);
  for (let i = 0; i < size; i++) {
    const row = order[start + i]!;
    inputIds.set(dataset.inputIds.subarray(row * length, (row + 1) * length), i * length);
    attentionMask.set(dataset.attentionMask.subarray(row * length, (row + 1) * length), i * length);
  }
  const batch: TokenBatch = { inputIds, attentionMask, size, sequenceLength: length };
  if (target === 'none') return batch;
  if (!dataset.labels) throw new DataError(dataset.source.file, 'has no labels, but training on labels needs them');
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) labels[i] = dataset.labels[order[start + i]!]!;
  return { ...batch, labels };
}
