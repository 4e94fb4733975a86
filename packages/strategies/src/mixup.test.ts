import { createRng } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { mixupTransform, sampleBeta } from './mixup.js';

const batch = () => ({
  x: Float32Array.from([1, 1, 2, 2, 3, 3, 4, 4]),
  size: 4,
  labels: Int32Array.from([0, 1, 2, 0]),
  sampleShape: [2],
});

describe('mixup', () => {
  test('each sample is λ·itself + (1 − λ)·a partner, its soft label the same mix, rows summing to 1', () => {
    const out = mixupTransform(0.4, 3).apply(batch(), createRng(7));
    const targets = out.targets!;
    for (let i = 0; i < 4; i++) {
      const row = Array.from(targets.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      // Own label's share is λ (or 1 when mixed with a sample of its own class).
      const own = row[batch().labels[i]!]!;
      expect(own).toBeGreaterThanOrEqual(Math.min(...row.filter((v) => v > 0)) - 1e-6);
    }
    // Inputs are convex combinations: within the batch's range, with both features of a sample equal (as they were).
    for (let i = 0; i < 4; i++) {
      expect(out.x[2 * i]).toBeCloseTo(out.x[2 * i + 1]!, 6);
      expect(out.x[2 * i]!).toBeGreaterThanOrEqual(1);
      expect(out.x[2 * i]!).toBeLessThanOrEqual(4);
    }
    expect(out.labels).toEqual(batch().labels);
  });

  test('the same generator state mixes the same way; another mixes differently', () => {
    const a = mixupTransform(0.4, 3).apply(batch(), createRng(1));
    const b = mixupTransform(0.4, 3).apply(batch(), createRng(1));
    const c = mixupTransform(0.4, 3).apply(batch(), createRng(2));
    expect(a.x).toEqual(b.x);
    expect(a.targets).toEqual(b.targets);
    expect(a.x).not.toEqual(c.x);
  });

  test('λ ~ Beta(α, α): mean 1/2, variance 1/(4(2α + 1)), small α piles up near 0 and 1', () => {
    const rng = createRng(3);
    for (const alpha of [0.2, 1, 4]) {
      const draws = Array.from({ length: 20_000 }, () => sampleBeta(alpha, rng));
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
      expect(mean).toBeCloseTo(0.5, 1);
      expect(variance).toBeCloseTo(1 / (4 * (2 * alpha + 1)), 2);
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(1);
    }
  });
});
