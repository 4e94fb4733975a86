import type { Dataset } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { lossOptionsFrom } from './classifier-loss.js';

const data = (labels: number[], classes = 3): Dataset => ({
  size: labels.length,
  sampleShape: [1],
  features: new Float32Array(labels.length),
  labels: Int32Array.from(labels),
  labelMap: Array.from({ length: classes }, (_, i) => `c${i}`),
  source: { file: 'mem', format: 'test' },
});

describe('lossOptionsFrom', () => {
  test('none of them on gives no loss options (the trainer runs plain cross-entropy)', () => {
    expect(lossOptionsFrom({ labelSmoothing: 0, classWeights: 'none' }, data([0, 1, 2]))).toBeUndefined();
  });

  test('balanced weighs each class by samples / (classes · its samples), as scikit-learn', () => {
    expect(lossOptionsFrom({ labelSmoothing: 0.1, classWeights: 'balanced' }, data([0, 0, 0, 1, 2, 2]))).toEqual({
      labelSmoothing: 0.1,
      classWeights: [6 / 9, 6 / 3, 6 / 6],
    });
  });

  test('refuses a weight list of the wrong length, and balanced weights for a class with no sample, in one line', () => {
    expect(() => lossOptionsFrom({ classWeights: [1, 2] }, data([0, 1, 2]))).toThrow(
      'classWeights: expected 3 weights, one per class (c0, c1, c2), got 2',
    );
    expect(() => lossOptionsFrom({ classWeights: 'balanced' }, data([0, 0, 2]))).toThrow(
      'classWeights=balanced: class c1 has no training sample to weigh',
    );
  });
});
