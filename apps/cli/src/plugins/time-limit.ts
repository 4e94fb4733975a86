import { CliError, EXIT } from '../cli-error.js';

/** The environment variable that sets how long a plugin may take to load or to answer a startup hook. */
export const TIME_LIMIT_VARIABLE = 'HEADSTART_PLUGIN_TIMEOUT_MS';
const DEFAULT_MS = 10_000;

let abandoned = false;

/**
 * How long a plugin may take to load or to answer a startup hook (a backend's probe), in
 * milliseconds: HEADSTART_PLUGIN_TIMEOUT_MS, else 10 s.
 * @throws CliError when the variable is set to something else than a positive number.
 */
export function pluginTimeLimitMs(): number {
  const text = process.env[TIME_LIMIT_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_MS;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new CliError(`${TIME_LIMIT_VARIABLE}=${text}: expected a positive number of milliseconds`);
  return ms;
}

/** The limit as a warning says it: `10 s (HEADSTART_PLUGIN_TIMEOUT_MS)`. */
export function describeTimeLimit(ms: number): string {
  return `${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`} (${TIME_LIMIT_VARIABLE})`;
}

/**
 * `promise`, unless it has not settled within the plugin time limit: then a CliError (exit 1)
 * saying that `what` did not answer. The promise is left behind, so the process must exit
 * explicitly afterwards ({@link abandonedWork}): what it waits on may keep the event loop alive.
 */
export function withTimeLimit<T>(promise: Promise<T>, what: string): Promise<T> {
  const ms = pluginTimeLimitMs();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned = true;
      reject(new CliError(`${what} did not answer within ${describeTimeLimit(ms)}`, EXIT.failure));
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Whether a plugin call was given up on: the process should exit instead of waiting for it. */
export function abandonedWork(): boolean {
  return abandoned;
}
