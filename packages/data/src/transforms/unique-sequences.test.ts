import type { TokenDataset, TokenizerPreprocessing } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { uniqueSequences } from './unique-sequences.js';

const tokenizer = { kind: 'tokenizer', sha256: 'a'.repeat(64), maxLength: 3, padId: 0 } as unknown as TokenizerPreprocessing;

function tokens(rows: number[][], labels: number[]): TokenDataset {
  return {
    kind: 'tokens',
    size: rows.length,
    sequenceLength: 3,
    inputIds: Int32Array.from(rows.flat()),
    attentionMask: Int32Array.from(rows.flat().map((id) => Number(id !== 0))),
    labels: Int32Array.from(labels),
    labelMap: ['ham', 'spam'],
    tokenizer,
    source: { file: 't.jsonl', format: 'jsonl-text' },
  };
}

describe('uniqueSequences', () => {
  it('keeps the first of each repeated sequence, whatever its label, and counts the rest', () => {
    const data = tokens(
      [
        [2, 7, 3],
        [2, 8, 3],
        [2, 7, 3],
        [2, 7, 0],
        [2, 8, 3],
      ],
      [0, 1, 1, 0, 1],
    );
    const { data: unique, dropped } = uniqueSequences(data);
    expect(dropped).toBe(2);
    expect([...unique.inputIds]).toEqual([2, 7, 3, 2, 8, 3, 2, 7, 0]);
    expect([...unique.labels!]).toEqual([0, 1, 0]);
  });

  it('gives the data itself when nothing repeats', () => {
    const data = tokens([[2, 7, 3]], [0]);
    expect(uniqueSequences(data)).toEqual({ data, dropped: 0 });
  });
});
