import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, permutation, type Batch, type Rng } from '@headstart/core';

/** The digits data set in memory (a test helper; core's loader does this for real). */
export interface Samples {
  /** `size × 64` pixels scaled to [0, 1]. */
  x: Float32Array;
  labels: Int32Array;
  size: number;
}

const DIGITS = join(import.meta.dirname, '..', '..', '..', '..', 'data', 'digits', 'digits.csv');
const FEATURES = 64;

/** data/digits/digits.csv, pixels divided by 16. */
export function loadDigits(): Samples {
  const [header, ...rows] = readFileSync(DIGITS, 'utf8').trim().split('\n');
  const labelColumn = header!.split(',').indexOf('label');
  const x = new Float32Array(rows.length * FEATURES);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    const cells = row.split(',').map(Number);
    labels[i] = cells[labelColumn]!;
    cells.filter((_, c) => c !== labelColumn).forEach((v, f) => (x[i * FEATURES + f] = v / 16));
  });
  return { x, labels, size: rows.length };
}

/** The samples at `indices`, in that order. */
export function subset(samples: Samples, indices: ArrayLike<number>): Samples {
  const x = new Float32Array(indices.length * FEATURES);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]!;
    x.set(samples.x.subarray(from * FEATURES, (from + 1) * FEATURES), i * FEATURES);
    labels[i] = samples.labels[from]!;
  }
  return { x, labels, size: indices.length };
}

/** A stratified split: `testFraction` of each class, drawn with a seeded shuffle. */
export function stratifiedSplit(samples: Samples, testFraction: number, seed: number): { train: Samples; test: Samples } {
  const order = permutation(samples.size, createRng(seed));
  const byClass = new Map<number, number[]>();
  for (const i of order) byClass.set(samples.labels[i]!, [...(byClass.get(samples.labels[i]!) ?? []), i]);
  const train: number[] = [];
  const test: number[] = [];
  for (const members of byClass.values()) {
    const cut = Math.round(members.length * testFraction);
    test.push(...members.slice(0, cut));
    train.push(...members.slice(cut));
  }
  return { train: subset(samples, train), test: subset(samples, test) };
}

/** One epoch of shuffled batches. */
export function batches(samples: Samples, batchSize: number, rng: Rng): Batch[] {
  const order = permutation(samples.size, rng);
  const out: Batch[] = [];
  for (let start = 0; start < samples.size; start += batchSize) {
    const part = subset(samples, order.subarray(start, Math.min(samples.size, start + batchSize)));
    out.push({ x: part.x, labels: part.labels, size: part.size });
  }
  return out;
}

/** Fraction of samples whose highest output is their label. */
export function accuracy(outputs: Float32Array, labels: Int32Array): number {
  const classes = outputs.length / labels.length;
  let correct = 0;
  labels.forEach((label, i) => {
    const row = outputs.subarray(i * classes, (i + 1) * classes);
    if (row.indexOf(Math.max(...row)) === label) correct++;
  });
  return correct / labels.length;
}
