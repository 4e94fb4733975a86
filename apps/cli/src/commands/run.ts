import { parseCheckpointEvery } from '../checkpoint-every.js';
import { CliError } from '../cli-error.js';
import { createReporter, formatMetrics } from '../output/reporter.js';
import { interruptSignal } from '../interrupt.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { readPipeline } from '../pipeline/read-pipeline.js';
import { runPipeline } from '../pipeline/run-pipeline.js';

/** Flags of `headstart run`. */
export interface RunFlags {
  resume?: boolean | undefined;
  dryRun?: boolean | undefined;
  checkpointEvery?: string | undefined;
  json?: boolean | undefined;
  /** Redis URL: queue the stages for `headstart worker`s instead of training them here. */
  queue?: string | undefined;
  /** With `queue`: the folder the workers write to. */
  store?: string | undefined;
  /** Where text stages cache their tokens (`--token-cache DIR`); false with `--no-token-cache`. */
  tokenCache?: string | false | undefined;
}

/** `headstart run PIPELINE.yaml`: validate every stage, then run them in order. */
export async function run(file: string, flags: RunFlags): Promise<void> {
  if (flags.queue !== undefined && flags.tokenCache !== undefined)
    throw new CliError(
      `${flags.tokenCache === false ? '--no-token-cache' : '--token-cache'}: with --queue the workers tokenise, each in its own cache (set HEADSTART_CACHE where they run); leave it out`,
    );
  if (flags.queue !== undefined) return (await import('../distributed/run-on-queue.js')).runOnQueue(file, { ...flags, queue: flags.queue });
  if (flags.store !== undefined) throw new CliError('--store goes with --queue: the folder the workers write to');
  const reporter = createReporter(flags);
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const pipeline = await readPipeline(file);
  const checkpointEvery = parseCheckpointEvery(flags.checkpointEvery);
  const { signal, dispose } = interruptSignal();
  try {
    const outcomes = await runPipeline(pipeline, {
      file,
      resume: flags.resume === true,
      dryRun: flags.dryRun === true,
      checkpointEvery,
      ...(flags.tokenCache !== undefined ? { tokenCache: flags.tokenCache } : {}),
      emit: reporter.emit,
      signal,
    });
    reporter.close();
    if (flags.dryRun) return;
    const last = outcomes.at(-1);
    if (last) {
      reporter.info(`pipeline finished: ${last.checkpoint.file} — ${formatMetrics(last.result.metrics)}`);
      reporter.result({
        checkpoint: last.checkpoint.file,
        sha256: last.checkpoint.sha256,
        metrics: last.result.metrics,
        stages: outcomes.map((o) => o.checkpoint.file),
      });
    }
  } finally {
    reporter.close();
    dispose();
  }
}
