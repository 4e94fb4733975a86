import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseCheckpointEvery } from '../checkpoint-every.js';
import { CliError, EXIT } from '../cli-error.js';
import { connectQueue } from '../distributed/connect.js';
import { parseQueueUrl } from '../distributed/queue-url.js';
import { serveQueues } from '../distributed/serve-queues.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/** Flags of `headstart worker`. */
export interface WorkerFlags {
  queue: string;
  store: string;
  concurrency: string;
  checkpointEvery?: string | undefined;
  stallAfter: string;
  json?: boolean | undefined;
}

/**
 * `headstart worker --queue URL --store DIR`: train the runs that `compare --queue` and
 * `run --queue` put on the queue, until SIGTERM or Ctrl-C (a run in progress is checkpointed and
 * handed back to the queue).
 */
export async function worker(flags: WorkerFlags): Promise<void> {
  const queue = parseQueueUrl(flags.queue);
  const concurrency = wholeNumber(flags.concurrency, '--concurrency');
  const stallAfter = Number(flags.stallAfter);
  if (!(stallAfter >= 1)) throw new CliError(`--stall-after ${flags.stallAfter}: expected a number of seconds, at least 1`);
  const checkpointEvery = parseCheckpointEvery(flags.checkpointEvery);
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const store = resolve(flags.store);
  await mkdir(store, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`--store ${flags.store}: cannot make the folder (${error.code ?? error.message})`);
  });
  const connection = await connectQueue(queue);
  const { signal, dispose } = interruptSignal();
  reporter.info(`worker ${process.pid}: taking runs from ${queue.shown}, store ${store}`);
  try {
    await serveQueues({
      queue,
      connection,
      concurrency,
      stallMs: stallAfter * 1000,
      env: { store, emit: () => undefined, signal, ...(checkpointEvery ? { checkpointEvery } : {}) },
      reporter,
    });
    reporter.info(`worker ${process.pid}: stopped; runs in progress were checkpointed and handed back to the queue`);
    process.exitCode = EXIT.interrupted;
  } finally {
    connection.disconnect();
    dispose();
    reporter.close();
  }
}

function wholeNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} ${text}: expected a whole number, at least 1`);
  return n;
}
