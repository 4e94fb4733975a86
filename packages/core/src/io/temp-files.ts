import { randomBytes } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.js';

/**
 * Bytes of the target's name kept in a temporary name. File systems allow 255 bytes per name
 * (NAME_MAX); the rest of `.<base>.<pid>.<8 hex>.tmp` takes at most 1 + 1 + 10 + 1 + 8 + 4 = 25.
 */
const BASE_BYTES = 200;

/**
 * A fresh temporary name beside `file`: `.<name, cut to fit>.<pid>.<8 hex>.tmp`, hidden, short
 * enough for any file system even when `file`'s own name is near the limit, and naming the process
 * that writes it so {@link removeStaleTemps} can tell an abandoned one.
 */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${tempBase(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Remove the temporary files that writes to `file` left behind when their process died (killed,
 * crashed) on this host. A temporary of a live process (this one included) is left alone: it may
 * be a write in progress. Best effort: a temporary that cannot be removed stays.
 * @returns the paths removed.
 */
export async function removeStaleTemps(file: string): Promise<string[]> {
  const dir = dirname(file);
  const pattern = new RegExp(`^\\.${escapeRegExp(tempBase(file))}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const path = join(dir, name);
    if (
      await unlink(path).then(
        () => true,
        () => false,
      )
    )
      removed.push(path);
  }
  return removed;
}

/** The target's name cut to {@link BASE_BYTES} bytes of UTF-8, never inside a character. */
function tempBase(file: string): string {
  let base = '';
  let bytes = 0;
  for (const char of basename(file)) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > BASE_BYTES) break;
    base += char;
  }
  return base;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
