import { describe, expect, test } from 'vitest';
import { scheduleFactor } from './schedules.js';

describe('scheduleFactor', () => {
  test('constant with linear warm-up', () => {
    const s = { type: 'constant', warmupSteps: 4 } as const;
    expect([0, 1, 2, 3, 4, 50].map((i) => scheduleFactor(s, i, 100, 10))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  test('step decays by gamma every stepEpochs epochs', () => {
    const s = { type: 'step', stepEpochs: 2, gamma: 0.5 } as const;
    expect([0, 19, 20, 39, 40].map((i) => scheduleFactor(s, i, 100, 10))).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  test('cosine goes from 1 to minFactor', () => {
    const s = { type: 'cosine', minFactor: 0.1 } as const;
    expect(scheduleFactor(s, 0, 100, 10)).toBeCloseTo(1, 10);
    expect(scheduleFactor(s, 50, 100, 10)).toBeCloseTo(0.55, 10);
    expect(scheduleFactor(s, 100, 100, 10)).toBeCloseTo(0.1, 10);
  });

  test('one-cycle warms up to 1 at pctStart, then anneals far below the start', () => {
    const s = { type: 'one-cycle', pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 } as const;
    expect(scheduleFactor(s, 0, 100, 10)).toBeCloseTo(1 / 25, 10);
    expect(scheduleFactor(s, 25, 100, 10)).toBeCloseTo(1, 10);
    expect(scheduleFactor(s, 100, 100, 10)).toBeCloseTo(1 / 25 / 1e4, 10);
    const factors = Array.from({ length: 100 }, (_, i) => scheduleFactor(s, i, 100, 10));
    expect(Math.max(...factors)).toBeCloseTo(1, 10);
  });

  test('exponential grows from `from` to `to` over `steps` steps, then stays at `to`', () => {
    const s = { type: 'exponential', from: 1e-3, to: 1e3, steps: 7 } as const;
    expect([0, 1, 3, 6, 7, 100].map((i) => scheduleFactor(s, i, 7, 3))).toEqual(
      [1e-3, 1e-2, 1, 1e3, 1e3, 1e3].map((v) => expect.closeTo(v, 9)),
    );
  });
});
