import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small tmpfs of a test's own, to run a disk full. */
export interface Tmpfs {
  dir: string;
  /** Bytes still free. */
  free(): Promise<number>;
  /** Fill it with a file (`.filler`) until about `bytes` are left free. */
  leaveFree(bytes: number): Promise<void>;
  unmount(): void;
}

/**
 * Why a tmpfs cannot be mounted here (not root, no mount), or undefined when it can. Under CI it
 * is always undefined: CI runs as root, so a test that needs a full disk must run there, and fail
 * if the mount does.
 */
export const TMPFS_SKIP: string | undefined = process.env.CI ? undefined : probe();

function probe(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  try {
    mountTmpfs(64).unmount();
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs: ${(error as Error).message}`;
  }
}

/**
 * Mount a tmpfs of `kib` KiB on a fresh temporary directory, and check it really is that tmpfs
 * before anything is written to it.
 * @throws when the mount or the check fails.
 */
export function mountTmpfs(kib: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'headstart-tmpfs-'));
  const run = (command: string, ...args: string[]): string => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${(result.stderr || result.error?.message || '').trim()}`);
    return result.stdout.trim();
  };
  try {
    run('mount', '-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const unmount = (): void => {
    // Lazy: a file a failed test left open must not keep the mount (and the next run's space) busy.
    run('umount', '--lazy', dir);
    rmSync(dir, { recursive: true, force: true });
  };
  if (run('stat', '-f', '-c', '%T', dir) !== 'tmpfs' || spawnSync('mountpoint', ['-q', dir]).status !== 0) {
    unmount();
    throw new Error(`${dir} is not the tmpfs just mounted`);
  }
  const free = async (): Promise<number> => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    async leaveFree(bytes) {
      const handle = await open(join(dir, '.filler'), 'a');
      try {
        const extra = (await free()) - bytes;
        if (extra > 0) await handle.write(Buffer.alloc(extra));
      } finally {
        await handle.close();
      }
    },
    unmount,
  };
}
