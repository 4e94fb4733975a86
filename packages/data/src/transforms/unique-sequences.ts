import type { TokenDataset } from '@headstart/core';
import { subset } from './split.js';

/**
 * `data` without the sequences whose token ids repeat an earlier one's (the first stays), and how many
 * went. A corpus that holds a message twice (a re-sent spam, a digest cut to the same first tokens)
 * would otherwise put one copy in a test set and the other in training.
 */
export function uniqueSequences(data: TokenDataset): { data: TokenDataset; dropped: number } {
  const seen = new Set<string>();
  const kept: number[] = [];
  const T = data.sequenceLength;
  for (let row = 0; row < data.size; row++) {
    const key = data.inputIds.subarray(row * T, (row + 1) * T).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(row);
  }
  return { data: kept.length === data.size ? data : subset(data, kept), dropped: data.size - kept.length };
}
