import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTokenCacheDir, tokenCacheDir } from './token-cache-dir.js';

describe('the token cache folder', () => {
  it('is HEADSTART_CACHE/tokens, else XDG_CACHE_HOME/headstart/tokens, else ~/.cache/headstart/tokens', () => {
    expect(defaultTokenCacheDir({ HEADSTART_CACHE: '/scratch/hs', XDG_CACHE_HOME: '/xdg' })).toBe('/scratch/hs/tokens');
    expect(defaultTokenCacheDir({ HEADSTART_CACHE: 'rel/hs' })).toBe(join(resolve('rel/hs'), 'tokens'));
    expect(defaultTokenCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/headstart/tokens');
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
    expect(defaultTokenCacheDir({ XDG_CACHE_HOME: 'xdg' })).toBe(join(homedir(), '.cache', 'headstart', 'tokens'));
    expect(defaultTokenCacheDir({})).toBe(join(homedir(), '.cache', 'headstart', 'tokens'));
  });

  it('is the folder a run names, none when it asks for none, else the default', () => {
    expect(tokenCacheDir('/tmp/mine', {})).toBe('/tmp/mine');
    expect(tokenCacheDir(false, { HEADSTART_CACHE: '/scratch/hs' })).toBeUndefined();
    expect(tokenCacheDir(undefined, { HEADSTART_CACHE: '/scratch/hs' })).toBe('/scratch/hs/tokens');
  });
});
