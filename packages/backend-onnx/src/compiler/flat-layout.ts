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
 * dominate a small model's step. A large group is split into several such buffers (parts), see
 * {@link MAX_FLAT_FLOATS}.
 */
export interface FlatLayout {
  /** Index of the group in the trainer options. */
  group: number;
  /** What the graph's names for this buffer carry: `<group>`, or `<group>.<part>` for a group in several parts. */
  id: string;
  entries: FlatEntry[];
  size: number;
}

/**
 * Floats in one flat buffer at most (16 MiB), unless a single parameter is larger. onnxruntime-node
 * copies every output of a run into a new JS buffer, and glibc's malloc serves blocks of 32 MiB and
 * more with a fresh mmap each time: page faults over the whole block at every step (measured on
 * resnet18: three 44 MB buffers cost ≈ 33 k faults and 0.25–0.4 s of system time a step). Smaller
 * blocks are recycled from the heap.
 */
export const MAX_FLAT_FLOATS = 4 * 1024 * 1024;

/** Lay out one group's parameters (in the given order) end to end, in parts of at most `maxFloats` each. */
export function flatLayouts(
  group: number,
  params: readonly { name: string; shape: number[] }[],
  maxFloats = MAX_FLAT_FLOATS,
): FlatLayout[] {
  const parts: FlatEntry[][] = [];
  let offset = 0;
  for (const p of params) {
    const size = sizeOf(p.shape);
    if (parts.length === 0 || (offset > 0 && offset + size > maxFloats)) {
      parts.push([]);
      offset = 0;
    }
    parts.at(-1)!.push({ name: p.name, shape: [...p.shape], offset, size });
    offset += size;
  }
  return parts.map((entries, part) => ({
    group,
    id: parts.length === 1 ? `${group}` : `${group}.${part}`,
    entries,
    size: entries.reduce((sum, e) => sum + e.size, 0),
  }));
}
