import { basename } from 'node:path';
import type { ArmSummary, Experiment } from './experiment.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The results table: one row an arm, one column a label budget. */
export function resultsTable(e: Experiment, summaries: ArmSummary[]): string[][] {
  const header = ['strategy', ...e.target.budgets.flatMap((b) => [`${b} labels/class: accuracy (mean ± std)`, 'time / run'])];
  const rows = e.arms.map((arm) => [
    arm.name,
    ...e.target.budgets.flatMap((b) => {
      const s = summaries.find((x) => x.arm === arm.name && x.budget === b);
      return s ? [`${pct(s.mean)} ± ${pct(s.std)}`, `${s.seconds.toFixed(1)} s`] : ['-', '-'];
    }),
  ]);
  return [header, ...rows];
}

/** report.md: the question, the table, the reading, and how it was run. */
export function reportMarkdown(e: Experiment, summaries: ArmSummary[], readings: string[], engine: string): string {
  const [header, ...rows] = resultsTable(e, summaries);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    `# headstart: ${e.name}`,
    '',
    describeExperiment(e, engine),
    '',
    ...(e.credit ? [`Data: ${e.credit}`, ''] : []),
    line(header!),
    line(header!.map(() => '---')),
    ...rows.map(line),
    '',
    ...readings.flatMap((r) => [r, '']),
  ].join('\n');
}

/** How the experiment ran, in one sentence (report.md's and report.html's first paragraph), `code` in backticks. */
export function describeExperiment(e: Experiment, engine: string): string {
  return `${describeSource(e)}, then trained on ${e.target.budgets.join(' / ')} labels per class of ${e.target.labels ? e.target.labels.join(', ') : 'every class'} of \`${basename(e.data)}\`; tested on ${pct(e.target.testFraction)} of those classes held out of every run. Seeds ${e.seeds.join(', ')}; engine ${engine}.`;
}

/** The source's own description, else "Pre-trained on classes 0, 1 of `x.csv` (full-retrain)" or "Starting from `model.onnx`". */
export function describeSource(e: Experiment): string {
  if (e.source.description) return e.source.description;
  if (e.source.model) return `Starting from \`${basename(e.source.model)}\``;
  const classes = e.source.labels ? `classes ${e.source.labels.join(', ')}` : 'every class';
  return `Pre-trained on ${classes} of \`${basename(e.source.data ?? e.data)}\` (${e.source.strategy})`;
}
