import { createRng, type TokenDataset, type TokenizerPreprocessing } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { concatUnlabeledTokens } from './concat.js';
import { filterByLabels, stratifiedSplit, subset, takePerClass, withoutLabels } from './split.js';

const T = 3;
const tokenizer = { kind: 'tokenizer', sha256: 'a'.repeat(64), maxLength: T, padId: 0 } as unknown as TokenizerPreprocessing;

/** Row i holds ids [i, i+100, 0] and mask [1, 1, 0]; class i % 3 of labels a, b, c. */
function tokens(size: number): TokenDataset {
  const inputIds = new Int32Array(size * T);
  const attentionMask = new Int32Array(size * T);
  for (let i = 0; i < size; i++) {
    inputIds.set([i, i + 100, 0], i * T);
    attentionMask.set([1, 1, 0], i * T);
  }
  const labels = Int32Array.from({ length: size }, (_, i) => i % 3);
  return {
    kind: 'tokens',
    size,
    sequenceLength: T,
    inputIds,
    attentionMask,
    labels,
    labelMap: ['a', 'b', 'c'],
    tokenizer,
    source: { file: 't.csv', format: 'csv-text' },
  };
}

/** The first id of every row: which original row it is. */
const rowsOf = (d: TokenDataset): number[] => Array.from({ length: d.size }, (_, i) => d.inputIds[i * T]!);

describe('splits of token sequences', () => {
  it('subset copies whole rows of ids and mask with their labels', () => {
    const picked = subset(tokens(10), [7, 2]);
    expect(Array.from(picked.inputIds)).toEqual([7, 107, 0, 2, 102, 0]);
    expect(Array.from(picked.attentionMask)).toEqual([1, 1, 0, 1, 1, 0]);
    expect(Array.from(picked.labels!)).toEqual([1, 2]);
    expect(picked).toMatchObject({ kind: 'tokens', size: 2, sequenceLength: T, tokenizer });
    expect('features' in picked).toBe(false);
  });

  it('stratifiedSplit, filterByLabels and takePerClass keep rows and labels together', () => {
    const data = tokens(30);
    const { train, test } = stratifiedSplit(data, 0.2, createRng(3));
    expect([...rowsOf(train), ...rowsOf(test)].sort((a, b) => a - b)).toEqual(rowsOf(data));
    expect(test.size).toBe(6);
    for (const part of [train, test]) rowsOf(part).forEach((row, i) => expect(part.labels![i]).toBe(row % 3));
    const bc = filterByLabels(data, ['c', 'b']);
    rowsOf(bc).forEach((row, i) => expect(bc.labelMap![bc.labels![i]!]).toBe('abc'[row % 3]));
    const few = takePerClass(data, 2, createRng(1));
    expect(few.size).toBe(6);
    expect(few.kind).toBe('tokens');
  });

  it('concatUnlabeledTokens joins rows without labels, refusing another tokenizer', () => {
    const joined = concatUnlabeledTokens([subset(tokens(4), [3]), withoutLabels(subset(tokens(4), [1]))]);
    expect(rowsOf(joined)).toEqual([3, 1]);
    expect(joined.labels).toBeUndefined();
    const other = { ...tokens(2), tokenizer: { ...tokenizer, sha256: 'b'.repeat(64) }, source: { file: 'u.csv', format: 'csv-text' } };
    expect(() => concatUnlabeledTokens([tokens(2), other])).toThrow(
      "cannot join u.csv's token sequences to t.csv's: another tokenizer or length",
    );
  });
});
