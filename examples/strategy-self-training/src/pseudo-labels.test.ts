import type { Dataset } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { selectPseudoLabels, withPseudoLabels } from './pseudo-labels.js';

// Six samples, three classes: rows of class probabilities.
const probabilities = Float32Array.from([
  0.95,
  0.03,
  0.02, // 0: class 0, sure
  0.4,
  0.35,
  0.25, // 1: class 0, unsure
  0.01,
  0.97,
  0.02, // 2: class 1, sure
  0.91,
  0.05,
  0.04, // 3: class 0, sure
  0.0625,
  0.0625,
  0.875, // 4: class 2, exactly at a threshold of 0.875 (exact in float32)
  0.2,
  0.3,
  0.5, // 5: class 2, unsure
]);

describe('selectPseudoLabels', () => {
  test('takes the samples at or above the threshold, in sample order', () => {
    const picked = selectPseudoLabels(probabilities, 3, { perClass: 10, threshold: 0.875 });
    expect(picked.indices).toEqual([0, 2, 3, 4]);
    expect(picked.classes).toEqual([0, 1, 0, 2]);
    expect(picked.perClass).toEqual([2, 1, 1]);
    expect(picked.confidence[0]).toBeCloseTo(0.95, 6);
  });

  test('at most perClass of each class, the most confident first', () => {
    const one = selectPseudoLabels(probabilities, 3, { perClass: 1, threshold: 0 });
    expect(one.indices).toEqual([0, 2, 4]);
    expect(one.perClass).toEqual([1, 1, 1]);
    const two = selectPseudoLabels(probabilities, 3, { perClass: 2, threshold: 0 });
    expect(two.indices).toEqual([0, 2, 3, 4, 5]);
    expect(two.perClass).toEqual([2, 1, 2]);
  });

  test('a higher threshold takes fewer', () => {
    expect(selectPseudoLabels(probabilities, 3, { perClass: 10, threshold: 0.93 }).indices).toEqual([0, 2]);
    expect(selectPseudoLabels(probabilities, 3, { perClass: 10, threshold: 0.99 }).indices).toEqual([]);
  });
});

describe('withPseudoLabels', () => {
  test('appends the chosen samples with their pseudo-labels after the labelled ones', () => {
    const source = { file: 'x.csv', format: 'csv' };
    const train: Dataset = {
      size: 1,
      sampleShape: [2],
      features: Float32Array.from([1, 2]),
      labels: Int32Array.from([1]),
      labelMap: ['a', 'b', 'c'],
      source,
    };
    const unlabeled: Dataset = { size: 3, sampleShape: [2], features: Float32Array.from([10, 11, 20, 21, 30, 31]), source };
    const joined = withPseudoLabels(train, unlabeled, { indices: [0, 2], classes: [2, 0], confidence: [0.99, 0.95], perClass: [1, 0, 1] });
    expect(joined.size).toBe(3);
    expect([...joined.features]).toEqual([1, 2, 10, 11, 30, 31]);
    expect([...joined.labels!]).toEqual([1, 2, 0]);
    expect(joined.labelMap).toEqual(['a', 'b', 'c']);
  });
});
