import { basename, dirname, relative, sep } from 'node:path';
import type { ArmSummary, Experiment, RunResult } from './experiment.js';
import { describeExperiment, resultsTable } from './report-md.js';
import {
  axes,
  colour,
  dot,
  errorBar,
  escapeXml as esc,
  legend,
  legendRows,
  linearScale,
  logScale,
  niceMax,
  niceTicks,
  polyline,
  type Scale,
  svgFigure,
  text,
} from './svg-plot.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Geometry of the accuracy-versus-budget plot (user units of its viewBox). */
export const ACCURACY_PLOT = { width: 720, plotHeight: 300, top: 16, left: 72, right: 24, bottom: 62, pad: 36, dodge: 3 } as const;
/** Geometry of each learning-curve panel. */
export const CURVE_PLOT = { width: 320, height: 210, top: 12, left: 48, right: 12, bottom: 44 } as const;

/** The accuracy plot's scales: budgets on a log axis (linear if any is 0), accuracy on a tight, rounded range. */
export function accuracyScales(e: Experiment, summaries: ArmSummary[]): { x: Scale; y: Scale } {
  const g = ACCURACY_PLOT;
  const budgets = e.target.budgets;
  const domain: [number, number] = [Math.min(...budgets), Math.max(...budgets)];
  const xRange: [number, number] = [g.left + g.pad, g.width - g.right - g.pad];
  const x = domain[0] > 0 ? logScale(domain, xRange) : linearScale(domain, xRange);
  const finite = summaries.filter((s) => Number.isFinite(s.mean));
  const std = (s: ArmSummary): number => (Number.isFinite(s.std) ? s.std : 0);
  let lo = Math.max(0, Math.floor(Math.min(1, ...finite.map((s) => s.mean - std(s))) * 10 + 1e-9) / 10);
  const hi = Math.min(1, Math.ceil(Math.max(0, ...finite.map((s) => s.mean + std(s))) * 10 - 1e-9) / 10);
  if (hi <= lo) lo = Math.max(0, hi - 0.1);
  return { x, y: linearScale([lo, hi > lo ? hi : lo + 0.1], [g.top + g.plotHeight, g.top]) };
}

/** Horizontal offset of arm `i` of `n`, so error bars at one budget do not sit on each other. */
export const dodge = (i: number, n: number): number => (i - (n - 1) / 2) * ACCURACY_PLOT.dodge;

/** Mean accuracy (± std error bars) against labels per class: one coloured line an arm, with a legend. */
export function accuracyPlot(e: Experiment, summaries: ArmSummary[]): string {
  const g = ACCURACY_PLOT;
  const { x, y } = accuracyScales(e, summaries);
  const items = e.arms.map((a, i) => ({ label: a.name, colour: colour(i) }));
  const legendTop = g.top + g.plotHeight + g.bottom;
  const height = legendTop + legendRows(items, g.width - g.left, 15) * 15 * 1.7 + 4;
  const lines = e.arms
    .map((arm, i) => {
      const c = colour(i);
      const at = e.target.budgets
        .map((b) => summaries.find((s) => s.arm === arm.name && s.budget === b))
        .filter((s): s is ArmSummary => s !== undefined && Number.isFinite(s.mean));
      const px = (s: ArmSummary): number => x(s.budget) + dodge(i, e.arms.length);
      return (
        `<g class="arm" stroke="${c}">` +
        at
          .filter((s) => s.std > 0)
          .map((s) =>
            errorBar(px(s), y(Math.max(y.domain[0], s.mean - s.std)), y(Math.min(y.domain[1], s.mean + s.std)), {
              'stroke-width': 1.2,
              'stroke-opacity': 0.7,
            }),
          )
          .join('') +
        polyline(
          at.map((s) => [px(s), y(s.mean)]),
          { 'stroke-width': 2.2 },
        ) +
        at
          .map((s) =>
            dot(
              px(s),
              y(s.mean),
              3.5,
              { fill: c, stroke: 'none' },
              `${arm.name}, ${s.budget} labels/class: ${pct(s.mean)} ± ${pct(s.std)} over ${s.runs} runs`,
            ),
          )
          .join('') +
        '</g>'
      );
    })
    .join('');
  const body =
    axes({
      x,
      y,
      xTicks: e.target.budgets,
      yTicks: niceTicks(y.domain[0], y.domain[1], 6),
      yFormat: (v) => `${Math.round(v * 100)}%`,
      xLabel: 'labels per class',
      yLabel: 'test accuracy (mean ± std)',
      fontSize: 15,
    }) +
    lines +
    legend(items, g.left, legendTop, g.width - g.left, 15);
  const desc = e.arms
    .map(
      (a) =>
        `${a.name}: ${e.target.budgets
          .map((b) => {
            const s = summaries.find((v) => v.arm === a.name && v.budget === b);
            return `${b} labels ${s ? pct(s.mean) : 'no runs'}`;
          })
          .join(', ')}`,
    )
    .join('; ');
  return svgFigure('accuracy', g.width, height, 'Test accuracy versus labels per class, one line per strategy', desc, body);
}

/** One small plot an arm: training loss per epoch (all phases in order), one faint line a run. */
export function curvePlots(e: Experiment, results: RunResult[]): string[] {
  const g = CURVE_PLOT;
  const losses = results.flatMap((r) => r.curve.map((p) => p.loss)).filter(Number.isFinite);
  const epochs = Math.max(2, ...results.map((r) => r.curve.length));
  const x = linearScale([1, epochs], [g.left, g.width - g.right]);
  const y = linearScale([0, niceMax(Math.max(0, ...losses), 4)], [g.height - g.bottom, g.top]);
  return e.arms.map((arm, i) => {
    const runs = results.filter((r) => r.arm === arm.name);
    const lines = runs
      .map((r) =>
        polyline(
          r.curve.flatMap((p, k): [number, number][] => (Number.isFinite(p.loss) ? [[x(k + 1), y(p.loss)]] : [])),
          { stroke: colour(i), 'stroke-width': 1.3, 'stroke-opacity': 0.45 },
        ),
      )
      .join('');
    const body =
      axes({
        x,
        y,
        xTicks: niceTicks(1, epochs, 4).filter((t) => t >= 1),
        yTicks: niceTicks(0, y.domain[1], 4),
        xLabel: 'epoch (all phases)',
        yLabel: 'training loss',
        fontSize: 12,
      }) +
      lines +
      (runs.length === 0 ? text(g.width / 2, g.height / 2, 'no runs', { 'text-anchor': 'middle', 'font-size': 12 }) : '');
    const desc = `${runs.length} runs; final training loss ${runs.map((r) => r.curve.at(-1)?.loss.toPrecision(3) ?? '-').join(', ')}`;
    return (
      `<figure><figcaption><span class="swatch" style="background:${colour(i)}"></span>${esc(arm.name)} <small>${runs.length} run${runs.length === 1 ? '' : 's'}</small></figcaption>` +
      `${svgFigure(`curve-${i}`, g.width, g.height, `Training loss per epoch for ${arm.name}`, desc, body)}</figure>`
    );
  });
}

/** Where each arm's runs came from: the strategies they went through and their checkpoints. */
function provenance(e: Experiment, results: RunResult[], baseDir: string | undefined): string {
  const base = baseDir ?? commonDir(results.map((r) => r.checkpoint));
  const rel = (p: string): string => (base ? relative(base, p) : basename(p)).split(sep).join('/');
  return e.arms
    .map((arm) => {
      const runs = results.filter((r) => r.arm === arm.name);
      const chains = [...new Set(runs.map((r) => r.provenance.join(' → ')))];
      const start =
        arm.from === 'none'
          ? 'scratch'
          : e.source.model
            ? `the given model ${basename(e.source.model)}`
            : `the model pre-trained on ${e.source.labels ? `classes ${e.source.labels.join(', ')}` : 'the source data'} (${e.source.strategy})`;
      return (
        `<section class="prov"><h3>${esc(arm.name)}</h3><p>Strategy <code>${esc(arm.strategy)}</code> with <code>${esc(JSON.stringify(arm.options))}</code>, starting from ${esc(start)}.` +
        ` Runs went through: ${chains.map((c) => `<code>${esc(c)}</code>`).join(', ') || 'no runs'}.</p>` +
        (runs.length
          ? `<details><summary>${runs.length} checkpoint${runs.length === 1 ? '' : 's'}</summary><ul>${runs.map((r) => `<li>${r.budget} labels/class, seed ${r.seed}: <code>${esc(rel(r.checkpoint))}</code></li>`).join('')}</ul></details>`
          : '') +
        '</section>'
      );
    })
    .join('');
}

function commonDir(paths: string[]): string | undefined {
  if (paths.length === 0) return undefined;
  let dir = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(dir.endsWith(sep) ? dir : dir + sep)) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px 16px 48px}h1{font-size:1.7rem;margin:.2em 0}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
h3{font-size:1rem;margin:1em 0 .2em}.lede{color:#444}.scroll{overflow-x:auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{padding:4px 10px;border-bottom:1px solid #e3e6ea;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}thead th{vertical-align:bottom;white-space:normal;min-width:6em}
svg{display:block;width:100%;height:auto;font-family:inherit}.wide svg{min-width:540px}svg text{fill:#333}svg .grid{stroke:#e6e8eb}svg .axis,svg .tick{stroke:#555}
.grid-figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px 20px}figure{margin:0}figcaption{font-weight:600}figcaption small{font-weight:400;color:#666}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-.05em}code{font-size:.88em;background:#f3f4f6;padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
details ul{margin:.3em 0;padding-left:1.4em;font-size:.9rem}.note{color:#555;font-size:.92rem}`;

/**
 * report.html: one self-contained page (inline CSS and SVG, nothing fetched) with the question, the
 * table, the reading, accuracy against labels per class, learning curves per strategy and provenance.
 * Checkpoint paths are shown relative to `options.baseDir` (the report's directory) when given.
 */
export function reportHtml(
  e: Experiment,
  summaries: ArmSummary[],
  results: RunResult[],
  readings: string[],
  engine: string,
  options: { baseDir?: string | undefined } = {},
): string {
  const [header, ...rows] = resultsTable(e, summaries);
  const table =
    `<div class="scroll"><table><thead><tr>${header!.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('') +
    '</tbody></table></div>';
  // The same sentence as report.md's, its `code` spans as <code>.
  const description = esc(describeExperiment(e, engine)).replace(/`([^`]*)`/g, '<code>$1</code>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(`headstart: ${e.name}`)}</title><style>${CSS}</style></head>
<body><main>
<h1>headstart: ${esc(e.name)}</h1>
<p class="lede">${description}</p>
${e.credit ? `<p class="note">Data: ${esc(e.credit)}</p>\n` : ''}<h2>Results</h2>
${table}
${readings.map((r) => `<p>${esc(r)}</p>`).join('\n')}
<h2>Accuracy versus labels per class</h2>
<p class="note">Mean test accuracy over ${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'}; bars show ± one standard deviation. Hover a point for its figures.</p>
<div class="scroll wide">${accuracyPlot(e, summaries)}</div>
<h2>Learning curves</h2>
<p class="note">Training loss per epoch, all phases of a strategy in order; one faint line per run (seed × label budget). Scales are shared across panels; a phase of unsupervised pre-training shows its reconstruction or masked-token loss, hence the jump where classification starts.</p>
<div class="grid-figs">${curvePlots(e, results).join('\n')}</div>
<h2>Provenance</h2>
${provenance(e, results, options.baseDir)}
<p class="note">Generated by headstart; checkpoint paths are relative to ${options.baseDir ? 'this report' : 'their common folder'}.</p>
</main></body></html>
`;
}
