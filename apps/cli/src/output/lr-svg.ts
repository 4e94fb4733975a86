import type { LrFindResult } from '@headstart/core';
import { formatRate, lossAxis } from './lr-plot.js';

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

/**
 * A range test as a standalone SVG image: each step's loss (grey) and the smoothed loss (blue)
 * against the rate on a log scale, the rate suggested as a dashed red line, the point the rule
 * read as a circle, and the rule in the title.
 */
export function lrSvg(result: LrFindResult, strategy: string): string {
  const { points, suggestion } = result;
  const x0 = Math.log10(points[0]!.lr);
  const x1 = Math.max(Math.log10(points.at(-1)!.lr), x0 + 1e-9);
  const { low, high } = lossAxis(points, true);
  const [left, right, top, bottom] = [MARGIN.left, WIDTH - MARGIN.right, MARGIN.top, HEIGHT - MARGIN.bottom];
  const x = (lr: number): number => left + Math.min(Math.max((Math.log10(lr) - x0) / (x1 - x0), 0), 1) * (right - left);
  const y = (loss: number): number => bottom - ((Math.min(Math.max(loss, low), high) - low) / (high - low)) * (bottom - top);
  const line = (key: 'loss' | 'smoothed', colour: string, width: number): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="${width}" points="${points.map((p) => `${n(x(p.lr))},${n(y(p[key]))}`).join(' ')}"/>`;
  const read = points[suggestion.index]!;
  const title = `lr-find: ${strategy}, phase "${result.phase}": suggested lr ${suggestion.lr} (${suggestion.rule} rule)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${xmlText(title)}</text>`,
    `<path d="M${left},${top} V${bottom} H${right}" fill="none" stroke="black"/>`,
    ...decades(x0, x1).map(
      (k) =>
        `<line x1="${n(x(10 ** k))}" y1="${bottom}" x2="${n(x(10 ** k))}" y2="${bottom + 5}" stroke="black"/><text x="${n(x(10 ** k))}" y="${bottom + 18}" text-anchor="middle">1e${k}</text>`,
    ),
    ...[0, 0.25, 0.5, 0.75, 1].map((t) => {
      const loss = low + t * (high - low);
      return `<line x1="${left - 5}" y1="${n(y(loss))}" x2="${left}" y2="${n(y(loss))}" stroke="black"/><text x="${left - 8}" y="${n(y(loss) + 4)}" text-anchor="end">${loss.toPrecision(3)}</text>`;
    }),
    `<text x="${(left + right) / 2}" y="${HEIGHT - 10}" text-anchor="middle">learning rate (log scale)</text>`,
    `<text x="16" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + bottom) / 2})">loss</text>`,
    line('loss', '#bbbbbb', 1),
    line('smoothed', '#1f77b4', 2),
    `<line x1="${n(x(suggestion.lr))}" y1="${top}" x2="${n(x(suggestion.lr))}" y2="${bottom}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    `<circle cx="${n(x(read.lr))}" cy="${n(y(read.smoothed))}" r="4" fill="#d62728"/>`,
    `<text x="${n(x(suggestion.lr) + 4)}" y="${top + 12}" fill="#d62728">${formatRate(suggestion.lr)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Whole powers of ten within [10^x0, 10^x1]. */
function decades(x0: number, x1: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(x0 - 1e-9); k <= Math.floor(x1 + 1e-9); k++) out.push(k);
  return out;
}

function n(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '0';
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
