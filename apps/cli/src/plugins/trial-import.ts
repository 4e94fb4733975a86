import { Worker } from 'node:worker_threads';
import { describeTimeLimit } from './time-limit.js';

/** How importing a plugin in a worker went: fine (import it for real), or why it is skipped. */
export type TrialImport = { ok: true } | { ok: false; error: string };

// A failed import is not judged here: the main thread imports the plugin next and reports its own error.
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
try { await import(workerData); } catch {}
parentPort.postMessage('settled');
`;
/** Node's exit code when a module's top-level await can never settle. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;
const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);

/**
 * Import `specifier` once in a worker thread, with a time limit. A plugin that loops or waits for
 * ever at import would hang the main thread beyond the reach of its SIGTERM and Ctrl-C handling; in
 * a worker it can be stopped (`terminate` ends even a synchronous loop) and the main thread stays
 * free meanwhile. The worker's own output is dropped: the real import prints it.
 */
export function trialImport(specifier: string, limitMs: number): Promise<TrialImport> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_URL, { workerData: specifier, stdout: true, stderr: true });
    worker.stdout.resume();
    worker.stderr.resume();
    let done = false;
    const finish = (outcome: TrialImport): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    let timer: NodeJS.Timeout | undefined;
    // The clock starts once the worker runs, so a busy machine's slow thread start is not held against the plugin.
    worker.on('online', () => {
      timer = setTimeout(
        () => finish({ ok: false, error: `did not finish loading within ${describeTimeLimit(limitMs)}; skipped` }),
        limitMs,
      );
    });
    worker.on('message', () => finish({ ok: true }));
    // An error thrown by the plugin's own asynchronous work while it loads would end the process if it ran there.
    worker.on('error', (error) => finish({ ok: false, error: `failed while loading: ${error.message.split('\n')[0]}; skipped` }));
    worker.on('exit', (code) =>
      finish({
        ok: false,
        error:
          code === UNSETTLED_TOP_LEVEL_AWAIT
            ? 'its import never finished (a top-level await that never settles); skipped'
            : `exited while loading (exit code ${code}); skipped`,
      }),
    );
  });
}
