import type { TokenizerPreprocessing } from '../checkpoint/manifest.js';
import type { DataSource, Label } from './dataset.js';

/**
 * A text dataset after tokenisation: `size` sequences of token ids padded (or truncated) to
 * `sequenceLength`, with an attention mask, and class indices into `labelMap` when labelled.
 * Integer sequences, not float features: it is a type of its own beside {@link Dataset}, so no
 * image or tabular path ever meets it by mistake (`kind: 'tokens'` tells them apart).
 */
export interface TokenDataset {
  kind: 'tokens';
  /** Number of sequences. */
  size: number;
  /** Tokens a sequence, `T`, special tokens and padding included (the tokenizer's `maxLength`). */
  sequenceLength: number;
  /** `[size, sequenceLength]` token ids, row-major; padding positions hold the tokenizer's `padId`. */
  inputIds: Int32Array;
  /** `[size, sequenceLength]`, 1 for a real token (specials included), 0 for padding. */
  attentionMask: Int32Array;
  /** Class index of each sequence into `labelMap`; absent for unlabelled text. */
  labels?: Int32Array | undefined;
  /** The original label of each class index. Stored in checkpoints. */
  labelMap?: Label[] | undefined;
  /** The tokenizer that made the ids, as a checkpoint records it (so `predict` re-tokenises raw text). */
  tokenizer: TokenizerPreprocessing;
  /** Where the text came from (`format` is the text loader: `csv-text`, `jsonl-text`). */
  source: DataSource;
}

/** Whether a dataset is token sequences rather than float features. */
export function isTokenDataset(dataset: object): dataset is TokenDataset {
  return 'kind' in dataset && dataset.kind === 'tokens';
}
