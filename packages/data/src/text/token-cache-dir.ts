import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The environment variable that moves headstart's cache folder; tokenised text goes in its `tokens` folder. */
export const CACHE_DIR_ENV = 'HEADSTART_CACHE';

/** Where {@link defaultTokenCacheDir} puts the cache, as help texts say it. */
export const DEFAULT_TOKEN_CACHE_WHERE = '$HEADSTART_CACHE/tokens, else $XDG_CACHE_HOME/headstart/tokens or ~/.cache/headstart/tokens';

/**
 * Where tokenised text is cached unless a run says otherwise, as Hugging Face's libraries place
 * theirs: `$HEADSTART_CACHE/tokens`, else `$XDG_CACHE_HOME/headstart/tokens`, else
 * `~/.cache/headstart/tokens`. A relative `XDG_CACHE_HOME` is ignored, as the XDG spec says.
 */
export function defaultTokenCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[CACHE_DIR_ENV];
  if (own) return join(resolve(own), 'tokens');
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'headstart', 'tokens');
}

/**
 * The token cache folder a run asked for: a folder (`--token-cache DIR`), none (`false`,
 * `--no-token-cache`), or by default {@link defaultTokenCacheDir}.
 */
export function tokenCacheDir(asked: string | false | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (asked === false) return undefined;
  return asked === undefined ? defaultTokenCacheDir(env) : resolve(asked);
}
