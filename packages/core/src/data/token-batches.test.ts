import { describe, expect, it } from 'vitest';
import { makeTokenBatch } from './token-batches.js';
import type { TokenDataset } from './token-dataset.js';
import { isTokenDataset } from './token-dataset.js';
import { tokenDatasetDigest } from './dataset-digest.js';

const tokens: TokenDataset = {
  kind: 'tokens',
  size: 3,
  sequenceLength: 4,
  inputIds: new Int32Array([2, 7, 3, 0, 2, 8, 9, 3, 2, 3, 0, 0]),
  attentionMask: new Int32Array([1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0]),
  labels: new Int32Array([1, 0, 1]),
  labelMap: ['ham', 'spam'],
  tokenizer: { kind: 'tokenizer', sha256: 'a'.repeat(64), maxLength: 4, padId: 0, vocabSize: 10, textColumn: 'text', json: '{}' },
  source: { file: 'mem.csv', format: 'csv-text' },
};

describe('token batches', () => {
  it('copies the ids, mask and labels of the rows in order, and a shorter last batch', () => {
    const first = makeTokenBatch(tokens, [2, 0, 1], 0, 2, 'labels');
    expect(first).toEqual({
      inputIds: new Int32Array([2, 3, 0, 0, 2, 7, 3, 0]),
      attentionMask: new Int32Array([1, 1, 0, 0, 1, 1, 1, 0]),
      size: 2,
      sequenceLength: 4,
      labels: new Int32Array([1, 1]),
    });
    first.inputIds[0] = 99;
    expect(tokens.inputIds[8]).toBe(2);
    const last = makeTokenBatch(tokens, [2, 0, 1], 2, 2, 'none');
    expect(last).toEqual({
      inputIds: new Int32Array([2, 8, 9, 3]),
      attentionMask: new Int32Array([1, 1, 1, 1]),
      size: 1,
      sequenceLength: 4,
    });
  });

  it('refuses labels the text lacks and a start past the end', () => {
    expect(() => makeTokenBatch({ ...tokens, labels: undefined }, [0], 0, 1, 'labels')).toThrow(
      'mem.csv: has no labels, but training on labels needs them',
    );
    expect(() => makeTokenBatch(tokens, [0, 1], 2, 2, 'none')).toThrow('batch start 2 is past the last of 2 samples');
  });

  it('tells token datasets from float ones, and digests ids, mask, labels and tokenizer', () => {
    expect(isTokenDataset(tokens)).toBe(true);
    expect(isTokenDataset({ size: 1 })).toBe(false);
    const digest = tokenDatasetDigest(tokens);
    expect(tokenDatasetDigest({ ...tokens })).toBe(digest);
    expect(tokenDatasetDigest({ ...tokens, attentionMask: new Int32Array(12).fill(1) })).not.toBe(digest);
    expect(tokenDatasetDigest({ ...tokens, tokenizer: { ...tokens.tokenizer, sha256: 'b'.repeat(64) } })).not.toBe(digest);
  });
});
