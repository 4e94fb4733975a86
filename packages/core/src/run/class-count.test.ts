import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.js';
import { checkSeveralClasses } from './class-count.js';

function labelled(labelMap: Dataset['labelMap']): Dataset {
  const size = 3;
  return {
    size,
    sampleShape: [1],
    features: new Float32Array(size),
    labels: new Int32Array(size),
    ...(labelMap ? { labelMap } : {}),
    source: { file: 'd.csv', format: 'csv' },
  };
}

describe('classes of the training data', () => {
  it('refuses a single class, naming the file and the label', () => {
    expect(() => checkSeveralClasses(labelled([7]))).toThrow(
      'd.csv: only one class (7) in the training labels; a classifier needs at least two',
    );
    expect(() => checkSeveralClasses(labelled(['cat']))).toThrow('d.csv: only one class (cat) in the training labels');
  });

  it('accepts two classes or more', () => {
    expect(() => checkSeveralClasses(labelled([0, 1]))).not.toThrow();
  });
});
