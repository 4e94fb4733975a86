import type { FlagPath } from '@headstart/core';

/** `{ '--data': 'd.csv', '--val': undefined }` → `[{ flag: '--data', path: 'd.csv' }]`: the files a command was given, by flag. */
export function flagPaths(paths: Record<string, string | undefined>): FlagPath[] {
  return Object.entries(paths).flatMap(([flag, path]) => (path === undefined ? [] : [{ flag, path }]));
}
