import { getRegistry } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { CliError } from '../cli-error.js';
import { parseNumber, type NumberRule } from '../data-options.js';
import { digitsPath } from '../digits-path.js';
import { digitsExperiment } from '../experiment/digits-experiment.js';
import type { Experiment } from '../experiment/experiment.js';
import { runExperiment } from '../experiment/run-experiment.js';
import { writeReport } from '../experiment/write-report.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { SPAM_CORPUS_PACKAGE } from '../text-demo/spam-corpus.js';
import { prepareSpamData } from '../text-demo/spam-data.js';
import { textExperiment } from '../text-demo/text-experiment.js';

/** Flags of `headstart demo`. */
export interface DemoFlags {
  /** `digits` (default) or `text`. */
  task?: string | undefined;
  backend?: string | undefined;
  /** How many seeds, 1 to 3 (default 3): fewer for a quicker, noisier look. */
  seeds?: string | undefined;
  out: string;
  json?: boolean | undefined;
}

/** `--seeds`: how many of the demo's three seeds run. */
const SEED_COUNT: NumberRule = { expected: 'a whole number from 1 to 3', accepts: (n) => Number.isInteger(n) && n >= 1 && n <= 3 };

/** A demo's experiment and the title of its report. */
interface DemoTask {
  experiment: Experiment;
  title(engine: string): string;
}

const TASKS: Record<string, (out: string, reporter: Reporter) => Promise<DemoTask>> = {
  digits: async () => {
    const experiment = digitsExperiment(digitsPath(), getRegistry().names('strategy'));
    return {
      experiment,
      title: (engine) => `headstart demo — ${experiment.name} on the embedded digits (${engine}), ${seedCount(experiment)}`,
    };
  },
  text: async (out, reporter) => {
    reporter.info(`reading the SpamAssassin public corpus (${SPAM_CORPUS_PACKAGE}) ...`);
    const experiment = textExperiment(await prepareSpamData(out));
    return {
      experiment,
      title: (engine) =>
        `headstart demo --task text — ${experiment.name}, the SpamAssassin public corpus (${engine}), ${seedCount(experiment)}`,
    };
  },
};

function seedCount(e: Experiment): string {
  return `${e.seeds.length} seed${e.seeds.length === 1 ? '' : 's'}`;
}

/**
 * `headstart demo`: on the embedded digits, pre-train on 0-4, then learn 5-9 from a few labels a
 * class with every strategy; with `--task text`, pre-train an encoder on the SpamAssassin messages
 * without labels, then learn ham or spam from a few labelled messages. Three seeds; prints the table
 * and a plain reading, writes results.json, report.md and report.html.
 */
export async function demo(flags: DemoFlags): Promise<void> {
  const name = flags.task ?? 'digits';
  // Own keys only: `constructor` or `toString` are no task.
  const task = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!task) throw new CliError(`--task ${name}: expected ${Object.keys(TASKS).join(' or ')}`);
  const seeds = parseNumber(flags.seeds, '--seeds', SEED_COUNT);
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const { backend, availability } = await startBackend(flags.backend);
  const engine = availability.engine ?? backend.name;
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  try {
    const { experiment, title } = await task(flags.out, reporter);
    if (seeds !== undefined) experiment.seeds = experiment.seeds.slice(0, seeds);
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
    await writeReport(experiment, results, engine, flags.out, reporter, started, title(engine));
  } finally {
    dispose();
    reporter.close();
  }
}
