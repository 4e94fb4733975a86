import { HeadstartError } from '../errors.js';

/**
 * A file headstart could not write (a full disk, a read-only or unwritable folder, a directory in
 * the way). One line naming the file; the user can fix it, so the CLI prints it without a stack.
 */
export class FileWriteError extends HeadstartError {
  readonly file: string;
  /** `problem` follows the file name: `cannot write: no space left on the device`. */
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('BAD_INPUT', `${file}: ${problem}`, options);
    this.name = 'FileWriteError';
    this.file = file;
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'the file name is too long for the file system',
  EIO: 'input/output error',
};

/** Why a file-system call failed, in words (the system's code when it is not one of the usual). */
export function writeProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  // Node's own wording up to the paths it appends ("EXDEV: cross-device link not permitted, rename …").
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.split(', ')[0]!;
}
