import { describe, expect, test } from 'vitest';
import { DEFAULT_LR_RANGE, LossSmoother, rangeLr, rangeSchedule, suggestLr, type LrPoint } from './lr-range.js';
import { scheduleFactor } from './schedules.js';

const range = DEFAULT_LR_RANGE;

/** Points of a test whose smoothed loss is `curve(i)`. */
function points(count: number, curve: (i: number) => number): LrPoint[] {
  return Array.from({ length: count }, (_, i) => ({ lr: rangeLr(range, i), loss: curve(i), smoothed: curve(i) }));
}

describe('range test schedule', () => {
  test('the top rate grows exponentially from startLr to endLr over the steps, then stays', () => {
    expect(rangeLr(range, 0)).toBeCloseTo(1e-7, 20);
    expect(rangeLr(range, 99)).toBeCloseTo(10, 10);
    expect(rangeLr(range, 150)).toBeCloseTo(10, 10);
    // Equal ratios between consecutive steps: 1e8 over 99 steps.
    const ratio = rangeLr(range, 11) / rangeLr(range, 10);
    expect(rangeLr(range, 61) / rangeLr(range, 60)).toBeCloseTo(ratio, 10);
    expect(ratio ** 99).toBeCloseTo(1e8, -2);
  });

  test('discriminative groups move together: every group keeps its ratio to the top one at every step', () => {
    // continued with lrMult 1/2.6: the top group at lr, the one below at lr/2.6, the next at lr/2.6².
    const reference = 1e-4;
    const groups = [reference, reference / 2.6, reference / 2.6 ** 2];
    const schedule = rangeSchedule(range, reference);
    for (const step of [0, 1, 37, 98, 99]) {
      const factor = scheduleFactor(schedule, step, range.steps, 7);
      const rates = groups.map((lr) => lr * factor);
      expect(rates[0]).toBeCloseTo(rangeLr(range, step), 12);
      expect(rates[0]! / rates[1]!).toBeCloseTo(2.6, 10);
      expect(rates[1]! / rates[2]!).toBeCloseTo(2.6, 10);
    }
  });
});

describe('LossSmoother', () => {
  test('debiased: a constant loss smooths to itself from the first step', () => {
    const smoother = new LossSmoother();
    expect([2, 2, 2].map((l) => smoother.add(l))).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
  });

  test('an exponential moving average with beta 0.98', () => {
    const smoother = new LossSmoother();
    smoother.add(1);
    // (0.98·0.02 + 0.02·3) / (1 − 0.98²)
    expect(smoother.add(3)).toBeCloseTo((0.98 * 0.02 + 0.02 * 3) / (1 - 0.98 ** 2), 12);
  });
});

describe('suggestLr', () => {
  // A sigmoid drop with bumps, then a blow-up: the curve fastai's valley was made for.
  const curve = (i: number): number =>
    2.3 - 1.8 / (1 + Math.exp(-(i - 45) / 6)) + 0.05 * Math.sin(i * 1.7) + (i > 70 ? 0.002 * (i - 70) ** 2 : 0);

  test('valley: the point fastai picks (its code, run on the same curve, picks index 45 of the window)', () => {
    const suggestion = suggestLr(points(100, curve), range);
    expect(suggestion).toEqual({ rule: 'valley', index: 55, lr: Number(rangeLr(range, 55).toPrecision(3)) });
  });

  test('minimum: a tenth of the rate of the lowest smoothed loss in the window', () => {
    const p = points(100, curve);
    const window = p.slice(10, 95);
    const lowest = window.reduce((best, q) => (q.smoothed < best.smoothed ? q : best));
    const suggestion = suggestLr(p, { ...range, rule: 'minimum' });
    expect(suggestion?.index).toBe(p.indexOf(lowest));
    expect(suggestion?.lr).toBe(Number((lowest.lr / 10).toPrecision(3)));
  });

  test('a test that diverged before the rule has three points to read suggests nothing', () => {
    expect(suggestLr(points(17, curve), range)).toBeUndefined();
    expect(suggestLr(points(18, curve), range)).toBeDefined();
  });

  test('a curve falling from the first point is read from the start of its descent', () => {
    const suggestion = suggestLr(
      points(100, (i) => 3 - i / 50),
      range,
    );
    // The whole window (points 10..94) descends: two thirds of the way along it, rounding down twice as fastai does.
    expect(suggestion?.index).toBe(10 + Math.max(0, -1 + Math.trunc(85 / 3) + Math.trunc(85 / 3 / 2)));
  });
});
