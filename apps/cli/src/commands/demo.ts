import { getRegistry } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { digitsPath } from '../digits-path.js';
import { digitsExperiment } from '../experiment/digits-experiment.js';
import { runExperiment } from '../experiment/run-experiment.js';
import { writeReport } from '../experiment/write-report.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/** Flags of `headstart demo`. */
export interface DemoFlags {
  backend?: string | undefined;
  out: string;
  json?: boolean | undefined;
}

/**
 * `headstart demo`: pre-train on digits 0-4, then learn 5-9 from 10 labels a class with every
 * strategy over three seeds; print the table and a plain reading, write results.json, report.md and report.html.
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
      backend,
      engine,
      out: flags.out,
      signal,
      emit: (e) => (reporter.json && (e.type === 'run-end' || e.type === 'log') ? reporter.emit(e) : undefined),
      onResult: (r, done, total) => {
        reporter.emit({
          type: 'log',
          level: 'info',
          message: `[${done}/${total}] ${r.arm} seed ${r.seed}: accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`,
        });
      },
    });
    await writeReport(
      experiment,
      results,
      engine,
      flags.out,
      reporter,
      started,
      `headstart demo — ${experiment.name} on the embedded digits (${engine}), ${experiment.seeds.length} seeds`,
    );
  } finally {
    dispose();
    reporter.close();
  }
}
