import { openSafeFile } from '@headstart/core';
import { stat } from 'node:fs/promises';
import { CliError } from '../cli-error.js';
import { guardStdStreams, streamFailed } from './std-streams.js';

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

/**
 * Text on stdout, as it comes (nothing to commit or take back). A failed write is recorded, not
 * thrown ({@link guardStdStreams}): a reader that closed the pipe early (`| head`) simply does not
 * want the rest; any other loss (a full disk) is reported once the command is over.
 */
export function stdoutOutput(): TextOutput {
  guardStdStreams();
  const done = async (): Promise<void> => {};
  return {
    async write(text) {
      if (streamFailed('stdout')) return false;
      if (!process.stdout.write(text)) await drained();
      return !streamFailed('stdout');
    },
    commit: done,
    discard: done,
  };
}

/** Resolves when stdout can take more: drained, or failed (the error comes after `write` returns). */
function drained(): Promise<void> {
  return new Promise((resolve) => {
    const settle = (): void => {
      for (const event of ['drain', 'error', 'close']) process.stdout.off(event, settle);
      resolve();
    };
    for (const event of ['drain', 'error', 'close']) process.stdout.on(event, settle);
  });
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
  if ((await stat(file).catch(() => undefined))?.isDirectory())
    throw new CliError(`${file}: is a directory; ${flag} names the file to write`);
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
