import { writeFileSafely } from '@headstart/core';
import { join } from 'node:path';
import { table, type Reporter } from '../output/reporter.js';
import type { Experiment, RunResult } from './experiment.js';
import { reportHtml } from './report-html.js';
import { reportMarkdown, resultsTable } from './report-md.js';
import { reading, summarize } from './summary.js';

/**
 * Summarise an experiment's runs; write results.json, report.md and report.html to `out`;
 * print the table and the reading under `title`.
 */
export async function writeReport(
  e: Experiment,
  results: RunResult[],
  engine: string,
  out: string,
  reporter: Reporter,
  started: number,
  title: string,
  /** Where the runs' checkpoints are, when not in `out` (a distributed run's store). */
  checkpoints = out,
): Promise<void> {
  const summaries = summarize(e, results);
  const readings = [reading(e, summaries)];
  await writeFileSafely(join(out, 'results.json'), `${JSON.stringify({ experiment: e, engine, summaries, results }, null, 2)}\n`);
  await writeFileSafely(join(out, 'report.md'), reportMarkdown(e, summaries, readings, engine));
  await writeFileSafely(join(out, 'report.html'), reportHtml(e, summaries, results, readings, engine, { baseDir: out }));
  const seconds = (Date.now() - started) / 1000;
  reporter.result({ summaries, out, seconds });
  reporter.info(`\n${title}\n`);
  reporter.info(table(resultsTable(e, summaries)));
  reporter.info(
    `\n${readings.join('\n\n')}\n\n${
      checkpoints === out
        ? `report.html, report.md, results.json and the checkpoints are in ${out}/`
        : `report.html, report.md and results.json are in ${out}/, the checkpoints in ${checkpoints}/`
    } (${seconds.toFixed(0)} s in all)`,
  );
}
