import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedTensors } from '@headstart/core';
import { expect } from 'vitest';

/** A tensor as the PyTorch fixture scripts write it. */
export interface Tensor {
  shape: number[];
  data: number[];
}

/** `tests/fixtures/torch/<name>`, parsed (the JSON a script of that folder wrote). */
export function readTorchFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'torch', name), 'utf8')) as T;
}

/** A fixture's named tensors as headstart's float32 weights. */
export function tensors(record: Record<string, Tensor>): NamedTensors {
  return new Map(Object.entries(record).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));
}

/** The largest absolute difference, element by element, of two arrays of the same length. */
export function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  return Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
}
