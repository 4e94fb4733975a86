import { sizeOf } from '@headstart/core';

/** Where one parameter sits in its group's flat buffer. */
export interface FlatEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/**
 * The trained parameters of one learning-rate group laid end to end in one flat buffer. The optimizer
 * updates a whole group with a dozen element-wise nodes instead of a dozen per parameter, and the
 * session has one input and one output per group and slot instead of one per parameter: both costs
 * dominate a small model's step.
 */
export interface FlatLayout {
  /** Index of the group in the trainer options. */
  group: number;
  entries: FlatEntry[];
  size: number;
}

/** Lay out parameters (in the given order) end to end. */
export function flatLayout(group: number, params: readonly { name: string; shape: number[] }[]): FlatLayout {
  let offset = 0;
  const entries = params.map((p) => {
    const entry = { name: p.name, shape: [...p.shape], offset, size: sizeOf(p.shape) };
    offset += entry.size;
    return entry;
  });
  return { group, entries, size: offset };
}
