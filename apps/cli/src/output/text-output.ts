import { openSafeFile } from '@headstart/core';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
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
 * Text streamed to a temporary file beside `file` (core's `openSafeFile`): every byte written,
 * flushed, its size verified and renamed over `file` on commit, so a failed or interrupted run (a
 * full disk) never leaves a half-written file where a good one was. Creates the parent directory.
 * `flag` names the option that gave the path, for error messages.
 * @throws CliError when the path is a directory; FileWriteError (one line naming the file) when it
 * cannot be written, from here or from `write` and `commit`.
 */
export async function atomicFileOutput(file: string, flag = '--out'): Promise<TextOutput> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new CliError(`${file}: is a directory; ${flag} names the file to write`);
  const out = await openSafeFile(file);
  return {
    write: async (text) => {
      await out.write(text);
      return true;
    },
    commit: () => out.commit(),
    discard: () => out.discard(),
  };
}
