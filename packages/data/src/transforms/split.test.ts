import { beforeAll, describe, expect, it, test } from 'vitest';
import { createRng, type Dataset } from '@headstart/core';
import { DIGITS_CSV } from '../__fixtures__/temp-dir.js';
import { csvLoader } from '../loaders/csv-loader.js';
import { filterByLabels, stratifiedSplit, subset, takePerClass, withoutLabels } from './split.js';

let digits: Dataset;
beforeAll(async () => {
  digits = await csvLoader().load(DIGITS_CSV);
});

function classCounts(data: Dataset): number[] {
  const counts = new Array<number>(data.labelMap!.length).fill(0);
  for (const c of data.labels!) counts[c]! += 1;
  return counts;
}

/** Each sample's features and label as text, to compare samples across datasets. */
function fingerprints(data: Dataset): string[] {
  const width = data.features.length / data.size;
  return Array.from({ length: data.size }, (_, i) => `${data.features.subarray(i * width, (i + 1) * width).join(',')}|${data.labels?.[i]}`);
}

describe('stratifiedSplit', () => {
  it('keeps the class proportions', () => {
    const { train, test } = stratifiedSplit(digits, 0.2, createRng(1));
    const all = classCounts(digits);
    expect(classCounts(test)).toEqual(all.map((n) => Math.round(n * 0.2)));
    expect(classCounts(train)).toEqual(all.map((n) => n - Math.round(n * 0.2)));
    expect(train.size + test.size).toBe(1797);
    expect(train.labelMap).toEqual(digits.labelMap);
    expect(test.sampleShape).toEqual([64]);
  });

  it('is deterministic for a seed and different for another', () => {
    const a = stratifiedSplit(digits, 0.25, createRng(7));
    const b = stratifiedSplit(digits, 0.25, createRng(7));
    const c = stratifiedSplit(digits, 0.25, createRng(8));
    expect(a.test.features).toEqual(b.test.features);
    expect(a.test.labels).toEqual(b.test.labels);
    expect(a.test.features).not.toEqual(c.test.features);
  });

  it('puts every class with two samples in both parts, and a single sample in train', () => {
    const tiny = subset(digits, [0, 10, 1, 2]);
    expect(Array.from(tiny.labels!)).toEqual([0, 0, 1, 2]);
    const { train, test } = stratifiedSplit(tiny, 0.1, createRng(3));
    expect(Array.from(test.labels!)).toEqual([0]);
    expect(Array.from(train.labels!)).toEqual([0, 1, 2]);
  });

  it('splits unlabelled data at random', () => {
    const bare = withoutLabels(digits);
    const { train, test } = stratifiedSplit(bare, 0.5, createRng(2));
    expect([train.size, test.size]).toEqual([898, 899]);
    expect([...fingerprints(train), ...fingerprints(test)].sort()).toEqual(fingerprints(bare).sort());
  });

  it('refuses a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(digits, 1, createRng(1))).toThrow('the test fraction must be between 0 and 1, got 1');
  });
});

describe('takePerClass', () => {
  it('takes k seeded samples of each class', () => {
    const few = takePerClass(digits, 5, createRng(4));
    expect(few.size).toBe(50);
    expect(classCounts(few)).toEqual(new Array(10).fill(5));
    expect(takePerClass(digits, 5, createRng(4)).features).toEqual(few.features);
    expect(takePerClass(digits, 5, createRng(5)).features).not.toEqual(few.features);
  });

  it('takes all of a class smaller than k, and needs labels', () => {
    expect(takePerClass(subset(digits, [0, 1, 11]), 3, createRng(1)).size).toBe(3);
    expect(() => takePerClass(withoutLabels(digits), 1, createRng(1))).toThrow(
      `${DIGITS_CSV}: has no labels, but takePerClass needs labelled data`,
    );
  });
});

describe('filterByLabels', () => {
  it('keeps the given classes, re-indexed in the given order', () => {
    const upper = filterByLabels(digits, [9, 5, '7']);
    expect(upper.labelMap).toEqual([9, 5, 7]);
    expect(classCounts(upper)).toEqual([180, 182, 179]);
    const original = classCounts(digits);
    expect([original[9], original[5], original[7]]).toEqual([180, 182, 179]);
  });

  it('refuses a label the data does not have', () => {
    expect(() => filterByLabels(digits, [1, 12])).toThrow(`${DIGITS_CSV}: has no label 12 (its labels: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)`);
  });
});

describe('subset and withoutLabels', () => {
  it('copies the chosen rows in order', () => {
    const picked = subset(digits, [3, 0]);
    expect(fingerprints(picked)).toEqual([fingerprints(digits)[3], fingerprints(digits)[0]]);
    expect(picked.features.buffer).not.toBe(digits.features.buffer);
    expect(() => subset(digits, [1797])).toThrow('sample index 1797 is outside 0..1796');
  });

  it('drops labels and label map only', () => {
    const bare = withoutLabels(digits);
    expect(bare.labels).toBeUndefined();
    expect(bare.labelMap).toBeUndefined();
    expect(bare.features).toBe(digits.features);
  });
});

describe('concatUnlabeled', () => {
  test('joins samples in order and drops labels', async () => {
    const { concatUnlabeled } = await import('./concat.js');
    const a = {
      size: 2,
      sampleShape: [2],
      features: Float32Array.from([1, 2, 3, 4]),
      labels: Int32Array.from([0, 1]),
      labelMap: ['x', 'y'],
      source: { file: 'a', format: 'csv' },
    };
    const b = { size: 1, sampleShape: [2], features: Float32Array.from([5, 6]), source: { file: 'b', format: 'csv' } };
    const joined = concatUnlabeled([a, b]);
    expect(joined).toMatchObject({ size: 3, sampleShape: [2] });
    expect([...joined.features]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(joined.labels).toBeUndefined();
    expect(() => concatUnlabeled([a, { ...b, sampleShape: [1, 2] }])).toThrow('cannot join samples of shape [1,2] to samples of shape [2]');
  });
});
