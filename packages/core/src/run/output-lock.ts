import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { CheckpointError, HeadstartError } from '../errors.js';

/** A lock unrefreshed this long belongs to a run that died (SIGKILL, power loss) and is taken over. */
const STALE_MS = 5_000;
/** A live holder touches its lock this often; a lock whose time moves has a live holder. */
const UPDATE_MS = 1_000;
const POLL_MS = 250;

/**
 * Take the lock on a run's output path (`out.lock`, a directory, beside it) so two runs never
 * write the same checkpoint. Checks the path can be written first, so a bad `--out` fails before
 * training, not after. A lock whose holder is alive is refused at once; the lock of a run that
 * was killed (it stops being refreshed) is taken over once stale, a few seconds later.
 * @param onLost called if the lock is lost while held (the process was frozen longer than the stale time).
 * @returns a function that releases the lock.
 * @throws CheckpointError when `out` is a directory or its parent cannot be made;
 * HeadstartError `USAGE` when another live run holds the lock.
 */
export async function lockOutput(out: string, onLost: (message: string) => void): Promise<() => Promise<void>> {
  await checkWritable(out);
  let firstSeen: number | undefined;
  for (;;) {
    try {
      return await lockfile.lock(out, {
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // The default throws from a timer and kills the process; a lost lock is worth a warning, not the run.
        onCompromised: (error) => onLost(`${out}: lost the lock on this output (${error.message}); another run may write it too`),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw new CheckpointError(out, `cannot lock for writing: ${(error as Error).message}`);
    }
    const touched = await lockTime(out);
    if (touched === 0) continue;
    firstSeen ??= touched;
    if (touched !== firstSeen) {
      throw new HeadstartError('USAGE', `${out}: another headstart run is writing this checkpoint (lock ${out}.lock); wait for it, or choose another --out`);
    }
    await sleep(POLL_MS);
  }
}

/** When the lock was last refreshed; 0 once it is gone (the next attempt takes it). */
async function lockTime(out: string): Promise<number> {
  return (await stat(`${out}.lock`).catch(() => undefined))?.mtimeMs ?? 0;
}

async function checkWritable(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new CheckpointError(out, 'is a directory; --out names the checkpoint file to write (e.g. model.safetensors)');
  try {
    await mkdir(dirname(out), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (error as Error).message;
    throw new CheckpointError(out, `cannot create its directory ${dirname(out)}: ${why}`);
  }
}
