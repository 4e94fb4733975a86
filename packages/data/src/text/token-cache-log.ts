import type { TokenCacheEvent } from './load-text-dataset.js';

/** The log event {@link tokenCacheLog} makes of a token cache event. */
export interface TokenCacheLog {
  type: 'log';
  level: 'info' | 'warn';
  message: string;
}

/**
 * A token cache event as the log line a run prints: `tokens of reviews.csv read from the cache
 * (…/tokens/ab12….tokens)`, `reviews.csv tokenised and cached in …`, `reviews.csv tokenised (not
 * cached: this run writes nothing)`, or a warning when it could not be cached.
 */
export function tokenCacheLog(event: TokenCacheEvent): TokenCacheLog {
  if (event.hit) return { type: 'log', level: 'info', message: `tokens of ${event.source} read from the cache (${event.file})` };
  if (event.readOnly) return { type: 'log', level: 'info', message: `${event.source} tokenised (not cached: this run writes nothing)` };
  if (event.problem !== undefined)
    return { type: 'log', level: 'warn', message: `${event.source} tokenised but not cached: ${event.problem}` };
  return { type: 'log', level: 'info', message: `${event.source} tokenised and cached in ${event.file}` };
}
