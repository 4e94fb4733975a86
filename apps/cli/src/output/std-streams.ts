import { writeProblem } from '@headstart/core';

/**
 * stdout and stderr as a long run needs them: a write that fails (the reader left, `| head -1`:
 * EPIPE; a full disk, `> /dev/full`: ENOSPC; a non-blocking descriptor: EAGAIN) is recorded, never
 * thrown, so training goes on, saves its checkpoint and releases its lock. What was lost is said
 * once the command is over ({@link lostStdout}).
 */

type StreamName = 'stdout' | 'stderr';

const failures = new Map<StreamName, NodeJS.ErrnoException>();
let guarded = false;

/** Record write errors on stdout and stderr instead of letting them end the process. Idempotent. */
export function guardStdStreams(): void {
  if (guarded) return;
  guarded = true;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error: NodeJS.ErrnoException) => {
      if (!failures.has(name)) failures.set(name, error);
    });
  }
}

/** Whether writing to the stream failed: nothing more is worth sending there. */
export function streamFailed(name: StreamName): boolean {
  return failures.has(name);
}

/** Write to stdout unless it has failed; later errors are recorded by {@link guardStdStreams}. */
export function writeStdout(text: string): void {
  if (!failures.has('stdout')) process.stdout.write(text);
}

/** Write to stderr unless it has failed. */
export function writeStderr(text: string): void {
  if (!failures.has('stderr')) process.stderr.write(text);
}

/**
 * The line to print when stdout failed for another reason than its reader leaving (EPIPE: the rest
 * of the output was not wanted), e.g. `stdout: no space left on the device`; undefined otherwise.
 * Waits a turn of the event loop first, as a write's error is reported after the write returns.
 */
export async function lostStdout(): Promise<string | undefined> {
  await new Promise((resolve) => setImmediate(resolve));
  const error = failures.get('stdout');
  if (!error || error.code === 'EPIPE') return undefined;
  return `stdout: ${error.code === 'EAGAIN' ? WOULD_BLOCK : writeProblem(error)}`;
}

/** A descriptor set non-blocking by whoever opened it: the file-system wording does not say what happened. */
const WOULD_BLOCK = 'the output would block (a non-blocking descriptor); part of the output was lost';
