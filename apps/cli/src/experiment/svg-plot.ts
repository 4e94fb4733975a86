/**
 * Just enough SVG plotting for the HTML report: scales, tick values, axes with grid lines,
 * polylines, error bars and a legend. Everything returns markup strings; text is escaped here.
 */

/** A fixed qualitative palette (Okabe–Ito, with its yellow darkened to read on white). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#A89200'] as const;

export const colour = (i: number): string => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;

/** Escapes text for HTML and SVG, in content and in quoted attributes alike. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Maps a data value to a pixel coordinate. */
export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
}

/** Linear map of `domain` onto `range`; a degenerate domain maps to the middle of the range. */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const f = (v: number): number => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
  return Object.assign(f, { domain, range });
}

/** Logarithmic map (for label budgets such as 5, 10, 50): equal ratios get equal distances. */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const inner = linearScale([Math.log(domain[0]), Math.log(domain[1])], range);
  return Object.assign((v: number) => inner(Math.log(v)), { domain, range });
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The smallest tick-aligned upper bound at or above `max` (for a y axis starting at 0). */
export function niceMax(max: number, count = 5): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const ticks = niceTicks(0, max, count);
  const last = ticks[ticks.length - 1]!;
  return last >= max ? last : last + (ticks[1] ?? last) - (ticks[0] ?? 0);
}

/** A coordinate with at most two decimals, no trailing zeros. */
export const num = (v: number): string => String(Math.round(v * 100) / 100);

type Attrs = Record<string, string | number | undefined>;
const attrs = (a: Attrs): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');

/** The `points` attribute of a polyline. */
export const pointsAttr = (points: [number, number][]): string => points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');

/** A polyline through the points (nothing for fewer than two). */
export function polyline(points: [number, number][], a: Attrs = {}): string {
  return points.length < 2 ? '' : `<polyline${attrs({ points: pointsAttr(points), fill: 'none', ...a })}/>`;
}

/** A vertical error bar with caps from y0 to y1 at x. */
export function errorBar(x: number, y0: number, y1: number, a: Attrs = {}, cap = 4): string {
  const d = `M${num(x)},${num(y0)}V${num(y1)}M${num(x - cap)},${num(y0)}H${num(x + cap)}M${num(x - cap)},${num(y1)}H${num(x + cap)}`;
  return `<path${attrs({ d, fill: 'none', ...a })}/>`;
}

/** A point marker with an optional hover title. */
export function dot(x: number, y: number, r: number, a: Attrs = {}, title?: string): string {
  const t = title === undefined ? '' : `<title>${escapeXml(title)}</title>`;
  return `<circle${attrs({ cx: num(x), cy: num(y), r, ...a })}>${t}</circle>`;
}

/** Text, escaped. */
export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return `<text${attrs({ x: num(x), y: num(y), ...a })}>${escapeXml(content)}</text>`;
}

export interface AxesOptions {
  x: Scale;
  y: Scale;
  xTicks: number[];
  yTicks: number[];
  xFormat?: ((v: number) => string) | undefined;
  yFormat?: ((v: number) => string) | undefined;
  xLabel?: string | undefined;
  yLabel?: string | undefined;
  fontSize?: number | undefined;
}

/** Grid lines, the two axes, tick labels and axis titles around the plot area the scales span. */
export function axes(o: AxesOptions): string {
  const fs = o.fontSize ?? 12;
  const [left, right] = [Math.min(...o.x.range), Math.max(...o.x.range)];
  const [top, bottom] = [Math.min(...o.y.range), Math.max(...o.y.range)];
  const xf = o.xFormat ?? String;
  const yf = o.yFormat ?? String;
  const parts = [
    ...o.yTicks.map((t) => `<line class="grid"${attrs({ x1: num(left), x2: num(right), y1: num(o.y(t)), y2: num(o.y(t)) })}/>`),
    ...o.yTicks.map((t) => text(left - 6, o.y(t) + fs * 0.35, yf(t), { 'text-anchor': 'end', 'font-size': fs })),
    ...o.xTicks.map((t) => `<line class="tick"${attrs({ x1: num(o.x(t)), x2: num(o.x(t)), y1: num(bottom), y2: num(bottom + 4) })}/>`),
    ...o.xTicks.map((t) => text(o.x(t), bottom + 6 + fs, xf(t), { 'text-anchor': 'middle', 'font-size': fs })),
    `<path class="axis"${attrs({ d: `M${num(left)},${num(top)}V${num(bottom)}H${num(right)}`, fill: 'none' })}/>`,
  ];
  if (o.xLabel) parts.push(text((left + right) / 2, bottom + 12 + fs * 2, o.xLabel, { 'text-anchor': 'middle', 'font-size': fs }));
  if (o.yLabel) {
    const [cx, cy] = [fs, (top + bottom) / 2];
    parts.push(text(cx, cy, o.yLabel, { 'text-anchor': 'middle', 'font-size': fs, transform: `rotate(-90 ${num(cx)} ${num(cy)})` }));
  }
  return parts.join('');
}

/** Roughly how wide a label is drawn, in user units. */
export const textWidth = (label: string, fontSize: number): number => label.length * fontSize * 0.6;

/** Rows of the legend for `items` laid out in as many columns as fit `width`. */
export function legendRows(items: { label: string }[], width: number, fontSize = 13): number {
  const columns = legendColumns(items, width, fontSize);
  return Math.ceil(items.length / columns);
}

function legendColumns(items: { label: string }[], width: number, fontSize: number): number {
  const widest = Math.max(0, ...items.map((i) => textWidth(i.label, fontSize))) + 34;
  return Math.max(1, Math.min(items.length, Math.floor(width / widest)));
}

/** A legend of coloured line swatches and labels, left to right then top to bottom, from (x, y). */
export function legend(items: { label: string; colour: string }[], x: number, y: number, width: number, fontSize = 13): string {
  const columns = legendColumns(items, width, fontSize);
  const [colWidth, rowHeight] = [width / columns, fontSize * 1.7];
  return `<g class="legend">${items
    .map((item, i) => {
      const [cx, cy] = [x + (i % columns) * colWidth, y + Math.floor(i / columns) * rowHeight];
      return (
        `<line${attrs({ x1: num(cx), x2: num(cx + 24), y1: num(cy), y2: num(cy), stroke: item.colour, 'stroke-width': 3 })}/>` +
        dot(cx + 12, cy, 3.5, { fill: item.colour }) +
        text(cx + 30, cy + fontSize * 0.35, item.label, { 'font-size': fontSize })
      );
    })
    .join('')}</g>`;
}

/** A responsive, labelled SVG: scales to its container's width, with a title and description for assistive technology. */
export function svgFigure(id: string, width: number, height: number, title: string, desc: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${num(width)} ${num(height)}" width="100%" role="img"` +
    ` aria-labelledby="${escapeXml(id)}-title ${escapeXml(id)}-desc"${attrs({ 'aria-label': title })}>` +
    `<title id="${escapeXml(id)}-title">${escapeXml(title)}</title><desc id="${escapeXml(id)}-desc">${escapeXml(desc)}</desc>${body}</svg>`
  );
}
