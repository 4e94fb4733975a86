import { startBackend } from '../backend-choice.js';
import { CliError } from '../cli-error.js';
import { readExperiment } from '../experiment/read-experiment.js';
import { checkReportSlot } from '../experiment/report-slot.js';
import { runExperiment } from '../experiment/run-experiment.js';
import { writeReport } from '../experiment/write-report.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/** Flags of `headstart compare`. */
export interface CompareFlags {
  out: string;
  backend?: string | undefined;
  json?: boolean | undefined;
  /** Redis URL: queue the runs for `headstart worker`s instead of training them here. */
  queue?: string | undefined;
  /** With `queue`: the folder the workers write to. */
  store?: string | undefined;
}

/** `headstart compare EXPERIMENT.yaml --out DIR`: strategies × label budgets × seeds, and the report. */
export async function compare(file: string, flags: CompareFlags): Promise<void> {
  if (flags.queue !== undefined)
    return (await import('../distributed/compare-on-queue.js')).compareOnQueue(file, { ...flags, queue: flags.queue });
  if (flags.store !== undefined) throw new CliError('--store goes with --queue: the folder the workers write to');
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const experiment = await readExperiment(file);
  await checkReportSlot(flags.out, experiment);
  const { backend, availability } = await startBackend(flags.backend);
  const engine = availability.engine ?? backend.name;
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  try {
    const results = await runExperiment(experiment, {
      backend,
      engine,
      out: flags.out,
      signal,
      emit: (e) => (reporter.json && (e.type === 'run-end' || e.type === 'log') ? reporter.emit(e) : undefined),
      onResult: (r, done, total) =>
        reporter.emit({
          type: 'log',
          level: 'info',
          message: `[${done}/${total}] ${r.arm}, ${r.budget} labels/class, seed ${r.seed}: accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`,
        }),
    });
    const title = `headstart — ${experiment.name} (${engine}), ${experiment.seeds.length} seed${experiment.seeds.length === 1 ? '' : 's'}`;
    await writeReport(experiment, results, engine, flags.out, reporter, started, title);
  } finally {
    dispose();
    reporter.close();
  }
}
