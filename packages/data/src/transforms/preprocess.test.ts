import { describe, expect, it } from 'vitest';
import type { Dataset } from '@headstart/core';
import { fitPreprocessing } from '../index.js';
import { applyPreprocessing, computePreprocessing } from './preprocess.js';

function dataset(rows: number[][]): Dataset {
  return {
    size: rows.length,
    sampleShape: [rows[0]!.length],
    features: new Float32Array(rows.flat()),
    source: { file: 'mem.csv', format: 'csv' },
  };
}

describe('preprocessing', () => {
  const data = dataset([
    [0, 5, 2],
    [4, 5, -6],
    [8, 5, 4],
  ]);

  it('scales by a factor, by default the largest magnitude', () => {
    expect(computePreprocessing('scale', data, 16)).toEqual({ kind: 'scale', factor: 16 });
    const fitted = computePreprocessing('scale', data);
    expect(fitted).toEqual({ kind: 'scale', factor: 8 });
    expect(Array.from(applyPreprocessing(fitted, data).features)).toEqual([0, 0.625, 0.25, 0.5, 0.625, -0.75, 1, 0.625, 0.5]);
    expect(() => computePreprocessing('scale', data, 0)).toThrow('scale factor must be a positive number, got 0');
  });

  it('standardizes to mean 0 and std 1 per feature; a constant feature becomes 0', () => {
    const fitted = computePreprocessing('standardize', data);
    if (fitted.kind !== 'standardize') throw new Error('expected standardize');
    expect(fitted.mean).toEqual([4, 5, 0]);
    expect(fitted.std[0]).toBeCloseTo(Math.sqrt(32 / 3));
    expect(fitted.std[1]).toBe(1);
    const out = applyPreprocessing(fitted, data);
    for (let f = 0; f < 3; f++) {
      const column = [0, 1, 2].map((r) => out.features[r * 3 + f]!);
      const mean = column.reduce((a, b) => a + b) / 3;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
      expect(mean).toBeCloseTo(0, 6);
      expect(variance).toBeCloseTo(f === 1 ? 0 : 1, 5);
    }
  });

  it('treats rounding noise on a constant feature as constant', () => {
    const tenths = dataset(Array.from({ length: 1000 }, () => [0.1]));
    const fitted = computePreprocessing('standardize', tenths);
    expect(fitted).toMatchObject({ std: [1] });
    expect(Math.abs(applyPreprocessing(fitted, tenths).features[0]!)).toBeLessThan(1e-6);
  });

  it('refuses a value that preprocessing pushes past float32, naming the column or the feature', () => {
    const named = { ...data, featureNames: ['a', 'b', 'c'] };
    expect(() => applyPreprocessing({ kind: 'scale', factor: 1e-40 }, named)).toThrow(
      'mem.csv, column "b": 5 divided by the scale factor 1e-40 is beyond the float32 range (±3.4e38)',
    );
    const huge = dataset([
      [1, 3e38],
      [1, -3e38],
    ]);
    expect(() => applyPreprocessing({ kind: 'standardize', mean: [0, 0], std: [1, 0.5] }, huge)).toThrow(
      `mem.csv: feature 2: ${Math.fround(3e38)} standardized is beyond the float32 range (±3.4e38)`,
    );
  });

  it('leaves the input unchanged and refuses statistics of another width', () => {
    const before = Array.from(data.features);
    applyPreprocessing(computePreprocessing('standardize', data), data);
    expect(Array.from(data.features)).toEqual(before);
    expect(applyPreprocessing(computePreprocessing('none', data), data).features).toBe(data.features);
    expect(() => applyPreprocessing({ kind: 'standardize', mean: [0], std: [1] }, data)).toThrow(
      'mem.csv: the preprocessing expects 1 features per sample, but the data has 3',
    );
  });

  it('keeps fitPreprocessing, the deprecated name, exported and computing the same', () => {
    for (const kind of ['none', 'scale', 'standardize'] as const)
      expect(fitPreprocessing(kind, data)).toEqual(computePreprocessing(kind, data));
    expect(fitPreprocessing('scale', data, 16)).toEqual({ kind: 'scale', factor: 16 });
  });
});
