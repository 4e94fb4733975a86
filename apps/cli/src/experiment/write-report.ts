import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { table, type Reporter } from '../output/reporter.js';
import type { Experiment, RunResult } from './experiment.js';
import { reportMarkdown, resultsTable } from './report-md.js';
import { reading, summarize } from './summary.js';

/** Summarise an experiment's runs; write results.json and report.md to `out`; print the table and the reading. */
export async function writeReport(e: Experiment, results: RunResult[], engine: string, out: string, reporter: Reporter, started: number): Promise<void> {
  const summaries = summarize(e, results);
  const readings = [reading(e, summaries)];
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'results.json'), `${JSON.stringify({ experiment: e, engine, summaries, results }, null, 2)}\n`);
  await writeFile(join(out, 'report.md'), reportMarkdown(e, summaries, readings, engine));
  const seconds = (Date.now() - started) / 1000;
  reporter.result({ summaries, out, seconds });
  reporter.info(`\nheadstart — ${e.name} (${engine}), ${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'}\n`);
  reporter.info(table(resultsTable(e, summaries)));
  reporter.info(`\n${readings.join('\n\n')}\n\nresults.json, report.md and the checkpoints are in ${out}/ (${seconds.toFixed(0)} s in all)`);
}
