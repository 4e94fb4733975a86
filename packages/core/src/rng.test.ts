import { describe, expect, test } from 'vitest';
import { createRng, permutation, rngFromState } from './rng.js';

describe('rng', () => {
  test('the same seed gives the same sequence; another seed another', () => {
    const draw = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  test('a saved state continues exactly where it was', () => {
    const rng = createRng(5);
    for (let i = 0; i < 10; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.state())) as number[];
    const expected = Array.from({ length: 20 }, () => rng.next());
    const restored = rngFromState(saved);
    expect(Array.from({ length: 20 }, () => restored.next())).toEqual(expected);
    const other = createRng(99);
    other.setState(saved);
    expect(other.next()).toBe(expected[0]);
  });

  test('draws are uniform enough: ints cover their range evenly', () => {
    const rng = createRng(1);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(10)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  test('normal draws have mean 0 and variance 1', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 50_000 }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  test('permutation is a seeded shuffle of 0..n-1', () => {
    const p = permutation(100, createRng(9));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...p]).toEqual([...permutation(100, createRng(9))]);
    expect([...p]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('a state that is not four 32-bit words is refused', () => {
    expect(() => rngFromState([1, 2, 3])).toThrow('rng state must be four unsigned 32-bit integers, got [1,2,3]');
  });
});

describe('rng.fork', () => {
  test('gives an independent, valid generator whose state round-trips', () => {
    const parent = createRng(123);
    for (let i = 0; i < 50; i++) {
      const child = parent.fork();
      const state = child.state();
      expect(state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)).toBe(true);
      expect(rngFromState(state).next()).toBe(child.next());
    }
  });
});
