import { createRng } from '../rng.js';

/**
 * A dropout mask of zeros and `1/(1 − rate)` over `size` values, channels-last, drawn from
 * `createRng(seed)`: so a step's masks are the same on every backend and run.
 */
export function dropoutMask(size: number, rate: number, seed: number, reuse?: Float32Array): Float32Array {
  const rng = createRng(seed);
  const keep = 1 / (1 - rate);
  const data = reuse && reuse.length === size ? reuse : new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.next() < rate ? 0 : keep;
  return data;
}

/** Combine integers into one 32-bit seed (murmur3-style mixing; backends seed dropout with it). */
export function mixSeeds(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
