import { describe, expect, test } from 'vitest';
import type { ArmSummary, Experiment, RunResult } from './experiment.js';
import { ACCURACY_PLOT, accuracyPlot, accuracyScales, dodge, reportHtml } from './report-html.js';

const experiment: Experiment = {
  name: 'tiny <test>',
  data: '/data/tiny.csv',
  label: 'label',
  source: { labels: [0, 1], strategy: 'full-retrain', options: {} },
  target: { labels: [2, 3], testFraction: 0.25, budgets: [1, 4] },
  arms: [
    { name: 'a<b', strategy: 'frozen-base', options: { epochs: 3 }, from: 'source' },
    { name: 'scratch', strategy: 'full-retrain', options: {}, from: 'none' },
  ],
  seeds: [1, 2],
};

const summaries: ArmSummary[] = [
  { arm: 'a<b', budget: 1, mean: 0.6, std: 0.1, seconds: 1, runs: 2 },
  { arm: 'scratch', budget: 1, mean: 0.55, std: 0.05, seconds: 1, runs: 2 },
  { arm: 'a<b', budget: 4, mean: 0.9, std: 0.1, seconds: 1, runs: 2 },
  { arm: 'scratch', budget: 4, mean: 0.8, std: 0, seconds: 1, runs: 2 },
];

const results: RunResult[] = experiment.arms.flatMap((arm) =>
  experiment.target.budgets.flatMap((budget) =>
    experiment.seeds.map((seed) => ({
      arm: arm.name,
      strategy: arm.strategy,
      budget,
      seed,
      accuracy: 0.7,
      loss: 0.3,
      seconds: 1,
      curve: [{ loss: 2, accuracy: 0.2 }, { loss: 1 }, { loss: 0.5, accuracy: 0.9 }],
      checkpoint: `/runs/out/checkpoints/${arm.name}-b${budget}-s${seed}.safetensors`,
      provenance: arm.from === 'source' ? ['full-retrain', arm.strategy] : [arm.strategy],
    })),
  ),
);

const html = reportHtml(experiment, summaries, results, ['Plain <reading> & more.'], 'test-engine', { baseDir: '/runs/out' });

describe('reportHtml', () => {
  test('one svg for the accuracy plot plus one an arm', () => {
    expect(html.match(/<svg\b/g)).toHaveLength(1 + experiment.arms.length);
    expect(html).toContain('aria-label="Test accuracy versus labels per class');
    expect(html).toContain('aria-label="Training loss per epoch for a&lt;b"');
  });

  test('fetches nothing: no http(s) references beyond the SVG namespace', () => {
    const urls = html.match(/https?:\/\/[^\s"'<>)]*/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
  });

  test('escapes arm names, the experiment name and the reading', () => {
    expect(html).not.toContain('a<b');
    expect(html).toContain('a&lt;b');
    expect(html).toContain('<h1>headstart: tiny &lt;test&gt;</h1>');
    expect(html).toContain('<p>Plain &lt;reading&gt; &amp; more.</p>');
  });

  test('has the table, the description, provenance and relative checkpoint paths', () => {
    expect(html).toContain('<th scope="row">scratch</th>');
    expect(html).toContain('60.0% ± 10.0%');
    expect(html).toContain('tested on 25.0% of those classes');
    expect(html).toContain('Pre-trained on classes 0, 1 of <code>tiny.csv</code> (full-retrain)');
    expect(html).toContain('<code>full-retrain → frozen-base</code>');
    expect(html).toContain('<code>checkpoints/a&lt;b-b4-s2.safetensors</code>');
    expect(html).not.toContain('/runs/out');
  });

  test('without a base folder, checkpoints are relative to their common folder', () => {
    const page = reportHtml(experiment, summaries, results, [], 'e');
    expect(page).toContain('<code>scratch-b1-s1.safetensors</code>');
  });
});

describe('accuracy plot', () => {
  test('scales: log budgets across the plot width, accuracy on a rounded range', () => {
    const { x, y } = accuracyScales(experiment, summaries);
    const g = ACCURACY_PLOT;
    expect(x(1)).toBe(g.left + g.pad); // 108
    expect(x(4)).toBe(g.width - g.right - g.pad); // 660
    expect(x(2)).toBeCloseTo((g.left + g.pad + g.width - g.right - g.pad) / 2, 10);
    expect(y.domain).toEqual([0.5, 1]);
    expect([y(0.5), y(1)]).toEqual([316, 16]);
    expect(y(0.6)).toBeCloseTo(256, 10);
  });

  test('polyline points sit at the expected coordinates', () => {
    expect(dodge(0, 2)).toBe(-1.5);
    const svg = accuracyPlot(experiment, summaries);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]);
    // a<b: (1, 60%) and (4, 90%), shifted 1.5 left; scratch: (1, 55%) and (4, 80%), shifted 1.5 right.
    expect(lines).toEqual(['106.5,256 658.5,76', '109.5,286 661.5,136']);
  });
});
