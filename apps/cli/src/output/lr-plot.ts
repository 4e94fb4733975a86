import type { LrPoint, LrSuggestion } from '@headstart/core';

/**
 * Where the curve's loss axis ends: the losses (smoothed, and each step's with `raw`) without the
 * last five (where the test takes off), so the valley stays readable.
 */
export function lossAxis(points: readonly LrPoint[], raw = false): { low: number; high: number } {
  const shown = points.length > 10 ? points.slice(0, -5) : points;
  const values = (p: LrPoint): number[] => (raw ? [p.smoothed, p.loss] : [p.smoothed]);
  const low = Math.min(...points.flatMap(values));
  const high = Math.max(...shown.flatMap(values));
  return high > low ? { low, high } : { low: low - 0.5, high: low + 0.5 };
}

/** `1.2e-3`: a rate as the plots label it. */
export function formatRate(lr: number): string {
  const [mantissa, exponent] = lr.toExponential(1).split('e');
  return `${mantissa!.replace(/\.0$/, '')}e${Number(exponent)}`;
}

/**
 * The smoothed loss of a range test against the rate (log scale) as text for a terminal: `*` a
 * point, `o` the point the rule read, `|` the rate suggested; losses above the axis sit on its top
 * row. `width` × `height` characters of plot, plus axes and labels.
 */
export function lrPlot(points: readonly LrPoint[], suggestion: LrSuggestion, width = 64, height = 12): string {
  const x0 = Math.log10(points[0]!.lr);
  const x1 = Math.log10(points.at(-1)!.lr);
  const { low, high } = lossAxis(points);
  const column = (lr: number): number => clamp(Math.round(((Math.log10(lr) - x0) / Math.max(x1 - x0, 1e-12)) * (width - 1)), 0, width - 1);
  const row = (loss: number): number => clamp(Math.round(((high - loss) / (high - low)) * (height - 1)), 0, height - 1);
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  for (const p of points) grid[row(p.smoothed)]![column(p.lr)] = '*';
  const marked = column(suggestion.lr);
  for (const line of grid) if (line[marked] === ' ') line[marked] = '|';
  const read = points[suggestion.index]!;
  grid[row(read.smoothed)]![column(read.lr)] = 'o';
  const labels = [high.toPrecision(3), low.toPrecision(3)];
  const pad = Math.max(...labels.map((l) => l.length));
  const lines = grid.map(
    (line, i) => `${(i === 0 ? labels[0]! : i === height - 1 ? labels[1]! : '').padStart(pad)} |${line.join('').trimEnd()}`,
  );
  const start = formatRate(points[0]!.lr);
  const end = formatRate(points.at(-1)!.lr);
  const axis = `${' '.repeat(pad)} +${'-'.repeat(width)}`;
  const ends = `${' '.repeat(pad + 2)}${start}${end.padStart(width - start.length)}`;
  const arrow = `${' '.repeat(pad + 2 + marked)}^ ${formatRate(suggestion.lr)}`;
  return [`smoothed loss against learning rate (log scale)`, ...lines, axis, ends, arrow].join('\n');
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
