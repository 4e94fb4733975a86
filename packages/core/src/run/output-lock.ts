import { mkdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { CheckpointError, HeadstartError } from '../errors.js';
import { processAlive } from '../io/process-alive.js';
import { writeFileSafely } from '../io/safe-write.js';

/**
 * A lock whose holder is unknown (another host, or one that died before naming itself) and that
 * has not been refreshed for this long is taken over. Long, so a holder whose event loop is busy
 * for a while (a slow synchronous step) never loses its lock.
 */
const STALE_MS = 60_000;
const UPDATE_MS = 10_000;

/** How often a held lock is refreshed and when an unrefreshed one is stale; tests shorten them. */
export interface LockTiming {
  staleMs: number;
  updateMs: number;
}
/** How long a lock may go without naming its holder (the moment between taking it and writing the name). */
const NAMING_MS = 1_000;
const POLL_MS = 100;

interface Owner {
  pid: number;
  host: string;
}

/** How {@link lockOutput}'s refusal names what the holder writes and how to pick another output. */
export interface LockWording {
  /** What the holder is writing: `this checkpoint` for a run. */
  writing: string;
  /** The option or field that chooses another output: `--out` for a run. */
  option: string;
}

const CHECKPOINT_WORDING: LockWording = { writing: 'this checkpoint', option: '--out' };

/**
 * Take the lock on a run's output path (`out.lock`, a directory beside it, naming the holding
 * process) so two runs never write the same checkpoint. Checks the path can be written first, so a
 * bad `--out` fails before training, not after. A lock held by a live process is refused at once;
 * one left by a process that died (SIGKILL, a crash) on this host is taken over at once.
 * @param onLost called if the lock is lost while held (taken over after {@link STALE_MS} without refresh).
 * @param wording how the refusal names what is locked (a pipeline locks its state file, not a checkpoint).
 * @returns a function that releases the lock.
 * @throws CheckpointError when `out` is a directory or its parent cannot be made;
 * HeadstartError `USAGE` when another live run holds the lock.
 */
export async function lockOutput(
  out: string,
  onLost: (message: string) => void,
  wording: LockWording = CHECKPOINT_WORDING,
  timing: LockTiming = { staleMs: STALE_MS, updateMs: UPDATE_MS },
): Promise<() => Promise<void>> {
  await checkWritable(out);
  const ownerFile = join(`${out}.lock`, 'owner.json');
  const deadline = Date.now() + NAMING_MS;
  for (;;) {
    const release = await tryLock(out, onLost, timing);
    if (release) {
      await nameOwner(`${out}.lock`, ownerFile).catch(async (error: unknown) => {
        await release();
        throw error;
      });
      return async () => {
        await rm(ownerFile, { force: true });
        await release();
      };
    }
    const owner = await readOwner(ownerFile);
    if (owner && owner.host === hostname() && !processAlive(owner.pid)) {
      await rm(`${out}.lock`, { recursive: true, force: true });
      continue;
    }
    if (owner || Date.now() > deadline) {
      const who = owner ? ` (process ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`})` : '';
      throw new HeadstartError(
        'USAGE',
        `${out}: another headstart run${who} is writing ${wording.writing} (lock ${out}.lock); wait for it, or choose another ${wording.option}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * Write the holder's pid and host into the lock folder. proper-lockfile takes its lock as lost when
 * the folder's mtime is not the one it set, and adding a file changes it: the mtime is put back.
 */
async function nameOwner(lockDir: string, ownerFile: string): Promise<void> {
  const { atime, mtime } = await stat(lockDir);
  await writeFileSafely(ownerFile, JSON.stringify({ pid: process.pid, host: hostname() } satisfies Owner));
  await utimes(lockDir, atime, mtime);
}

async function tryLock(out: string, onLost: (message: string) => void, timing: LockTiming): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockfile.lock(out, {
      realpath: false,
      stale: timing.staleMs,
      update: timing.updateMs,
      retries: 0,
      // The default throws from a timer and kills the process; a lost lock is worth a warning, not the run.
      onCompromised: (error) => onLost(`${out}: lost the lock on this output (${error.message}); another run may write it too`),
    });
  } catch (error) {
    // ENOTEMPTY: a stale lock proper-lockfile could not remove, as its owner file is inside; whose it is decides.
    if (['ELOCKED', 'ENOTEMPTY'].includes(String((error as NodeJS.ErrnoException).code))) return undefined;
    throw new CheckpointError(out, `cannot lock for writing: ${(error as Error).message}`);
  }
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Partial<Owner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : undefined;
  } catch {
    return undefined;
  }
}

async function checkWritable(out: string): Promise<void> {
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory())
    throw new CheckpointError(out, 'is a directory; --out names the checkpoint file to write (e.g. model.safetensors)');
  try {
    await mkdir(dirname(out), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (error as Error).message;
    throw new CheckpointError(out, `cannot create its directory ${dirname(out)}: ${why}`);
  }
}
