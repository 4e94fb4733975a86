import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { batchOrder, makeBatch } from './batches.js';
import type { Dataset } from './dataset.js';

const data: Dataset = {
  size: 5,
  sampleShape: [2],
  features: new Float32Array([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]),
  labels: new Int32Array([0, 1, 0, 1, 2]),
  labelMap: ['a', 'b', 'c'],
  source: { file: 'mem.csv', format: 'csv' },
};

describe('batches', () => {
  it('orders samples by a seeded permutation', () => {
    const order = batchOrder(5, createRng(9));
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(batchOrder(5, createRng(9))).toEqual(order);
  });

  it('copies rows and labels of a batch, and a shorter last batch', () => {
    const order = [4, 2, 0, 1, 3];
    const first = makeBatch(data, order, 0, 2, 'labels');
    expect(first).toEqual({ x: new Float32Array([4, 4.5, 2, 2.5]), size: 2, labels: new Int32Array([2, 0]) });
    first.x[0] = 99;
    expect(data.features[8]).toBe(4);
    const last = makeBatch(data, order, 4, 2, 'labels');
    expect(last).toEqual({ x: new Float32Array([3, 3.5]), size: 1, labels: new Int32Array([1]) });
  });

  it('makes the inputs the targets for an autoencoder', () => {
    const batch = makeBatch(data, [1, 0], 0, 2, 'inputs');
    expect(batch.targets).toEqual(batch.x);
    expect(batch.targets).not.toBe(batch.x);
    expect(batch.labels).toBeUndefined();
  });

  it('refuses a start past the end and labels the data lacks', () => {
    expect(() => makeBatch(data, [0, 1], 2, 2, 'labels')).toThrow('batch start 2 is past the last of 2 samples');
    const { labels: _l, labelMap: _m, ...bare } = data;
    expect(() => makeBatch(bare, [0], 0, 1, 'labels')).toThrow('mem.csv: has no labels, but training on labels needs them');
  });
});
