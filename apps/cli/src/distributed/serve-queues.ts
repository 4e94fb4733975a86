import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadstartError, isUserError, type TrainingEvent } from '@headstart/core';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CliError, EXIT, oneLine } from '../cli-error.js';
import type { Reporter } from '../output/reporter.js';
import { type QueueUrl, scrub } from './queue-url.js';
import { ACTIVE_QUEUES, PREFIX } from './queue-name.js';
import { runCompareJob, type WorkerEnv } from './run-compare-job.js';
import { runStageJob } from './run-stage-job.js';
import { untilAborted } from './until-aborted.js';

/** How a worker takes jobs. */
export interface ServeOptions {
  queue: QueueUrl;
  connection: Redis;
  /** Jobs of one queue trained at once. */
  concurrency: number;
  /** A job whose worker has not renewed its lock for this long is handed to another worker. */
  stallMs: number;
  env: WorkerEnv;
  reporter: Reporter;
}

/** How often the worker looks for queues that coordinators opened. */
const DISCOVERY_MS = 1_000;

/**
 * Serve every queue a coordinator is waiting on until `env.signal` fires, then stop taking jobs:
 * a run in progress saves a resumable checkpoint and goes back to its queue for another worker.
 */
export async function serveQueues(options: ServeOptions): Promise<void> {
  const workers = new Map<string, Worker>();
  const { signal } = options.env;
  while (!signal.aborted) {
    // With Redis away, a command waits for it to come back; a stop must not.
    const names = await untilAborted(options.connection.smembers(ACTIVE_QUEUES), signal).catch(() => [] as string[]);
    for (const name of names.filter((n) => !workers.has(n))) workers.set(name, startWorker(name, options));
    await sleep(DISCOVERY_MS, undefined, { signal }).catch(() => undefined);
  }
  // Closing waits for the runs to hand themselves back, which needs Redis: give up after a while (they stall and move on).
  const closed = Promise.all([...workers.values()].map((w) => w.close()));
  if ((await Promise.race([closed.then(() => true), sleep(CLOSE_MS, false)])) === false) {
    options.reporter.warn(
      `Redis did not answer within ${CLOSE_MS / 1000} s while stopping; runs in progress go to other workers when they stall`,
    );
    process.exitCode = EXIT.interrupted;
    // BullMQ's connections would keep retrying for ever.
    setImmediate(() => process.exit(EXIT.interrupted));
  }
}

/** How long stopping waits for Redis. */
const CLOSE_MS = 10_000;

function startWorker(name: string, options: ServeOptions): Worker {
  const { reporter, queue } = options;
  const worker = new Worker(name, (job, token) => processJob(name, job, token, options), {
    connection: options.connection,
    prefix: PREFIX,
    concurrency: options.concurrency,
    lockDuration: options.stallMs,
    stalledInterval: options.stallMs,
    // A run is handed on each time its worker is lost; it fails only if workers keep dying on it.
    maxStalledCount: 5,
  });
  worker.on('error', (error) => reporter.warn(`queue ${name}: ${scrub(oneLine(error.message), queue)}`));
  worker.on('failed', (job, error) => {
    if (job && !(error instanceof DelayedError)) reporter.warn(`${job.name}: failed: ${scrub(oneLine(error.message), queue)}`);
  });
  worker.on('completed', (job) => reporter.info(`${job.name}: done`));
  return worker;
}

const WORKER_ID = `${hostname()}:${process.pid}`;

async function processJob(queueName: string, job: Job, token: string | undefined, options: ServeOptions): Promise<unknown> {
  const { reporter, env } = options;
  reporter.info(`${job.name}: started${job.attemptsMade > 0 || job.stalledCounter > 0 ? ' again' : ''} (${queueName})`);
  const emit = (event: TrainingEvent): void => {
    if (event.type === 'epoch-end')
      job
        .updateProgress({ epoch: event.epoch + 1, epochs: event.epochs, stage: event.stage, loss: event.metrics.loss, worker: WORKER_ID })
        .catch(() => undefined);
    if (event.type === 'log') reporter.info(`${job.name}: ${event.message}`);
  };
  try {
    const jobEnv = { ...env, emit };
    return await (queueName.startsWith('run-') ? runStageJob(queueName, job.data, jobEnv) : runCompareJob(queueName, job.data, jobEnv));
  } catch (error) {
    if (env.signal.aborted && error instanceof HeadstartError && error.code === 'INTERRUPTED') {
      // Stopped by SIGTERM: the run's resumable checkpoint is saved; another worker continues it now.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    throw retryOrNot(error, options.queue);
  }
}

/**
 * A run that failed for a reason of its own (its data, its options, a diverging loss) fails for
 * good; anything else (a lock a lost worker on another host still holds, a full disk) is retried.
 */
function retryOrNot(error: unknown, queue: QueueUrl): Error {
  const message = scrub(oneLine(error instanceof Error ? error.message : String(error)), queue);
  if (/another headstart run .* is writing/.test(message)) return new Error(message);
  if (error instanceof CliError || isUserError(error)) return new UnrecoverableError(message);
  return new Error(message);
}
