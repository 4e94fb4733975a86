import { describe, expect, test } from 'vitest';
import {
  colour,
  escapeXml,
  legendRows,
  linearScale,
  logScale,
  niceMax,
  niceTicks,
  PALETTE,
  pointsAttr,
  polyline,
  svgFigure,
} from './svg-plot.js';

describe('scales', () => {
  test('linear maps the domain onto the range, inverted ranges included', () => {
    const s = linearScale([0, 10], [100, 300]);
    expect([s(0), s(2.5), s(10)]).toEqual([100, 150, 300]);
    const y = linearScale([0.5, 1], [316, 16]);
    expect([y(0.5), y(0.75), y(1)]).toEqual([316, 166, 16]);
  });
  test('a degenerate domain maps to the middle', () => {
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
    expect(logScale([5, 5], [0, 100])(5)).toBe(50);
  });
  test('log puts equal ratios at equal distances', () => {
    const s = logScale([1, 100], [0, 200]);
    expect(s(1)).toBe(0);
    expect(s(10)).toBeCloseTo(100, 10);
    expect(s(100)).toBeCloseTo(200, 10);
  });
});

describe('ticks', () => {
  test('round steps covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.4, 1, 6)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(niceTicks(1, 40, 4)).toEqual([10, 20, 30, 40]);
    expect(niceTicks(2, 2)).toEqual([2]);
    expect(niceTicks(Number.NaN, 1)).toEqual([]);
  });
  test('niceMax rounds up to a tick', () => {
    expect(niceMax(3.83, 4)).toBe(4);
    expect(niceMax(0.27, 4)).toBeCloseTo(0.3, 10);
    expect(niceMax(0)).toBe(1);
  });
});

describe('markup', () => {
  test('escapes text and attributes', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
  test('polylines round coordinates and need two points', () => {
    expect(
      pointsAttr([
        [1.005, 2],
        [3.33333, 4.5],
      ]),
    ).toBe('1,2 3.33,4.5');
    expect(polyline([[0, 0]])).toBe('');
    expect(
      polyline(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: 'red' },
      ),
    ).toBe('<polyline points="0,0 1,1" fill="none" stroke="red"/>');
  });
  test('eight fixed colours, cycling', () => {
    expect(PALETTE).toHaveLength(8);
    expect(new Set(PALETTE).size).toBe(8);
    expect(colour(8)).toBe(colour(0));
  });
  test('legend wraps into rows', () => {
    const items = Array.from({ length: 8 }, () => ({ label: 'pretrain-finetune' }));
    expect(legendRows(items, 656)).toBe(3);
    expect(legendRows(items.slice(0, 1), 656)).toBe(1);
  });
  test('figures scale with their container and carry a title', () => {
    const svg = svgFigure('f', 300, 200, 'A <title>', 'd', '');
    expect(svg).toContain('viewBox="0 0 300 200"');
    expect(svg).toContain('width="100%"');
    expect(svg).toContain('<title id="f-title">A &lt;title&gt;</title>');
    expect(svg).toContain('aria-label="A &lt;title&gt;"');
  });
});
