import { Redis } from 'ioredis';
import { CliError, EXIT } from '../cli-error.js';
import { type QueueUrl, scrub } from './queue-url.js';

/** How long connecting (TCP, TLS, AUTH) may take before the queue counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connect to the Redis behind `--queue` and check it answers, within {@link CONNECT_TIMEOUT_MS}.
 * The connection returned reconnects on its own later (a Redis restart mid-grid is waited out),
 * as BullMQ requires of its connections.
 * @throws CliError: exit 2 for a refused password, 1 for a Redis that cannot be reached; one line,
 * the URL without its password.
 */
export async function connectQueue(queue: QueueUrl): Promise<Redis> {
  const probe = new Redis(queue.url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // The reason a connection failed comes as an error event; connect() itself only says it closed.
  let failure: unknown;
  probe.on('error', (error) => {
    failure ??= error;
  });
  try {
    await withDeadline(
      (async () => {
        await probe.connect();
        await probe.ping();
      })(),
      CONNECT_TIMEOUT_MS + 1_000,
    );
  } catch (error) {
    throw unreachable(queue, failure ?? error);
  } finally {
    probe.disconnect();
  }
  const redis = new Redis(queue.url, { connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  return redis;
}

function unreachable(queue: QueueUrl, error: unknown): CliError {
  const why = scrub(error instanceof Error ? error.message : String(error), queue);
  if (/WRONGPASS|NOAUTH|NOPERM/.test(why)) return new CliError(`--queue ${queue.shown}: Redis refused the credentials (${why})`);
  return new CliError(`--queue ${queue.shown}: cannot reach Redis (${why || 'timed out'}); is redis-server running there?`, EXIT.failure);
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
