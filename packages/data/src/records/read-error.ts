import { DataError, HeadstartError } from '@headstart/core';

/**
 * A file-system failure while reading `file` as a one-line {@link DataError} (`no such file or
 * directory`, `permission denied`); headstart's own errors and anything else pass through.
 * @internal
 */
export function readError(file: string, error: unknown): unknown {
  if (error instanceof HeadstartError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new DataError(file, 'no such file or directory');
  if (code === 'EACCES' || code === 'EPERM') return new DataError(file, 'permission denied');
  if (code === 'EISDIR') return new DataError(file, 'is a directory, expected a file');
  return error;
}
