import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from '../cli-error.js';

/** Where a command streams its text: written piece by piece, then committed or discarded. */
export interface TextOutput {
  /**
   * Append text; resolves once it is handed on (waiting while stdout's buffer is full), to false
   * when nobody reads any more (stdout closed early, as `| head` does): stop writing then.
   */
  write(text: string): Promise<boolean>;
  /** The output is complete: a file appears at its path. */
  commit(): Promise<void>;
  /** The run failed: a file is not written (what was at its path stays). */
  discard(): Promise<void>;
}

/** Text on stdout, as it comes (nothing to commit or take back). */
export function stdoutOutput(): TextOutput {
  let readerGone = false;
  // A reader that closes the pipe early is not a failure: the rest of the output is simply not wanted.
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
  };
  process.stdout.on('error', onError);
  const stop = async (): Promise<void> => void process.stdout.off('error', onError);
  return {
    async write(text) {
      if (readerGone) return false;
      if (!process.stdout.write(text)) await once(process.stdout, 'drain').catch(onError);
      return !readerGone;
    },
    commit: stop,
    discard: stop,
  };
}

/**
 * Text streamed to a temporary file beside `file`, flushed and renamed over `file` on commit, so
 * a failed or interrupted run never leaves a half-written file where a good one was. Creates the
 * parent directory. `flag` names the option that gave the path, for error messages.
 * @throws CliError when the path is a directory or its directory cannot be created.
 */
export async function atomicFileOutput(file: string, flag = '--out'): Promise<TextOutput> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new CliError(`${file}: is a directory; ${flag} names the file to write`);
  await mkdir(dirname(file), { recursive: true }).catch((error: unknown) => {
    throw new CliError(`${file}: cannot create its directory ${dirname(file)}: ${reason(error)}`);
  });
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle: FileHandle = await open(temporary, 'wx').catch((error: unknown) => {
    throw new CliError(`${file}: cannot write: ${reason(error)}`);
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    // writeFile on a handle writes all of the text at the current position, then moves past it.
    write: async (text) => {
      await handle.writeFile(text);
      return true;
    },
    async commit() {
      await handle.sync();
      await close();
      await rename(temporary, file);
    },
    async discard() {
      await close().catch(() => {});
      await unlink(temporary).catch(() => {});
    },
  };
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return 'a file is in the way';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  return (error as Error).message;
}
