import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.js';
import type { TokenDataset } from './token-dataset.js';

/**
 * sha-256 (hex) of a dataset's samples and labels as training sees them: after label filtering,
 * splits and preprocessing, so two runs with the same file but other selections differ.
 */
export function datasetDigest(dataset: Dataset): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(dataset.sampleShape));
  hash.update(new Uint8Array(dataset.features.buffer, dataset.features.byteOffset, dataset.features.byteLength));
  if (dataset.labels) hash.update(new Uint8Array(dataset.labels.buffer, dataset.labels.byteOffset, dataset.labels.byteLength));
  return hash.digest('hex');
}

/**
 * sha-256 (hex) of token sequences as training sees them: the tokenizer's hash and length, the
 * ids, the mask and the labels, so `--resume` notices other text, tokenizer or length.
 */
export function tokenDatasetDigest(dataset: TokenDataset): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ kind: dataset.kind, tokenizer: dataset.tokenizer.sha256, length: dataset.sequenceLength }));
  for (const array of [dataset.inputIds, dataset.attentionMask, dataset.labels]) {
    if (array) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}
