import { describe, expect, it } from 'vitest';
import type { Label } from '@headstart/core';
import { LabelMapBuilder, compareLabels, isNumericLabel, labelIndex, labelsFromIndices, type LabelMapOptions } from './label-map.js';

function build(labels: Label[], options?: LabelMapOptions): { labelMap: Label[]; labels: number[] } {
  const builder = new LabelMapBuilder('data.csv', options);
  labels.forEach((label, i) => builder.add(label, i + 2));
  const { labelMap, labels: indices } = builder.finish();
  return { labelMap, labels: Array.from(indices) };
}

describe('label map', () => {
  it('makes labels numbers when every one reads as a number, sorted numerically', () => {
    expect(build(['10', '9', ' 2 ', '9'])).toEqual({ labelMap: [2, 9, 10], labels: [2, 1, 0, 1] });
    expect(build([1, '1.0', 0.5])).toEqual({ labelMap: [0.5, 1], labels: [1, 1, 0] });
  });

  it('keeps strings otherwise, ordered by code unit and not by locale', () => {
    expect(build(['b', 'B', 'a', '3'])).toEqual({ labelMap: ['3', 'B', 'a', 'b'], labels: [3, 1, 2, 0] });
    expect(build(['0x10', 'Infinity'])).toEqual({ labelMap: ['0x10', 'Infinity'], labels: [0, 1] });
  });

  it('keeps the indices of a given map', () => {
    expect(build(['1', '0', '1'], { labelMap: [1, 0] })).toEqual({ labelMap: [1, 0], labels: [0, 1, 0] });
  });

  it('refuses a label outside a given map, naming the line and the known labels', () => {
    const labelMap = Array.from({ length: 10 }, (_, i) => i);
    expect(() => build(['3', 'cat'], { labelMap })).toThrow(
      'data.csv, line 3: label "cat" is not one of the 10 known labels (0, 1, 2, 3, 4, 5, 6, 7, … and 2 more)',
    );
    expect(() => build([11], { labelMap: [0], unit: 'item' })).toThrow('data.csv: item 2: label 11 is not one of the 1 known labels (0)');
  });

  it('appends unseen labels, sorted, with extendLabels', () => {
    expect(build(['7', '0', '5'], { labelMap: [0, 1], extendLabels: true })).toEqual({ labelMap: [0, 1, 5, 7], labels: [3, 0, 2] });
    expect(build(['z', 'cat', 'a'], { labelMap: ['cat'], extendLabels: true })).toEqual({ labelMap: ['cat', 'a', 'z'], labels: [2, 0, 1] });
  });

  it('refuses an empty label', () => {
    expect(() => build(['1', ' '])).toThrow('data.csv, line 3: the label is empty');
  });

  it('finds labels across text and numbers, and maps indices back', () => {
    expect(labelIndex([0, 1, 2], '2')).toBe(2);
    expect(labelIndex(['a', 'b'], 'c')).toBe(-1);
    expect(labelsFromIndices([2, 0], ['x', 'y', 'z'])).toEqual(['z', 'x']);
    expect(() => labelsFromIndices([3], ['x'])).toThrow('class index 3 is outside the label map (1 labels)');
    expect(isNumericLabel(' -2.5e3 ')).toBe(true);
    expect(isNumericLabel('')).toBe(false);
    expect([3, 'b', 1, 'a'].sort(compareLabels)).toEqual([1, 3, 'a', 'b']);
  });
});
