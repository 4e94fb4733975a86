import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getRegistry } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { digitsPath } from '../digits-path.js';
import { digitsExperiment } from '../experiment/digits-experiment.js';
import { reportMarkdown, resultsTable } from '../experiment/report-md.js';
import { runExperiment } from '../experiment/run-experiment.js';
import { reading, summarize } from '../experiment/summary.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter, table } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/** Flags of `headstart demo`. */
export interface DemoFlags {
  backend?: string;
  out: string;
  json?: boolean;
}

/**
 * `headstart demo`: pre-train on digits 0-4, then learn 5-9 from 10 labels a class with every
 * strategy over three seeds; print the table and a plain reading, write results.json and report.md.
 */
export async function demo(flags: DemoFlags): Promise<void> {
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const { backend, availability } = await startBackend(flags.backend);
  const engine = availability.engine ?? backend.name;
  const experiment = digitsExperiment(digitsPath(), getRegistry().names('strategy'));
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  try {
    const results = await runExperiment(experiment, {
      backend, engine, out: flags.out, signal,
      emit: (e) => (reporter.json && (e.type === 'run-end' || e.type === 'log') ? reporter.emit(e) : undefined),
      onResult: (r, done, total) => {
        reporter.emit({ type: 'log', level: 'info', message: `[${done}/${total}] ${r.arm} seed ${r.seed}: accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)` });
      },
    });
    const summaries = summarize(experiment, results);
    const readings = [reading(experiment, summaries)];
    await mkdir(flags.out, { recursive: true });
    await writeFile(join(flags.out, 'results.json'), `${JSON.stringify({ experiment, engine, summaries, results }, null, 2)}\n`);
    await writeFile(join(flags.out, 'report.md'), reportMarkdown(experiment, summaries, readings, engine));
    reporter.result({ summaries, out: flags.out, seconds: (Date.now() - started) / 1000 });
    reporter.info(`\nheadstart demo — ${experiment.name} on the embedded digits (${engine}), ${experiment.seeds.length} seeds\n`);
    reporter.info(table(resultsTable(experiment, summaries)));
    reporter.info(`\n${readings.join('\n\n')}\n\nresults.json, report.md and the checkpoints are in ${flags.out}/ (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  } finally {
    dispose();
    reporter.close();
  }
}
