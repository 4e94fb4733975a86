import { createHash } from 'node:crypto';
import { lstat, mkdir, open, realpath, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { removeStaleTemps, tempPathFor } from './temp-files.js';
import { FileWriteError, writeProblem } from './write-error.js';

/** What a finished temporary file must hold before it may replace the target. */
export interface WriteCheck {
  /** sha-256 (hex) of the whole file; the temporary file is read back and hashed. */
  sha256?: string | undefined;
}

/**
 * A file being written aside: nothing appears at its path until {@link SafeFile.commit}, and a
 * failed or abandoned write leaves whatever was there untouched.
 */
export interface SafeFile {
  /** The path the file will have. */
  readonly file: string;
  /** Append bytes or UTF-8 text, every byte of it (a short write is retried, not ignored). */
  write(data: Uint8Array | string): Promise<void>;
  /**
   * Flush to disk and verify: the size is what was written, and the content has `check`'s hash.
   * After this the file accepts no more writes. {@link SafeFile.commit} calls it when needed.
   */
  verify(check?: WriteCheck): Promise<void>;
  /** Verify, rename over the target and make the rename durable. */
  commit(check?: WriteCheck): Promise<void>;
  /** Give up: the temporary file is removed, the target stays as it was. Never throws. */
  discard(): Promise<void>;
}

/**
 * Start writing `file` safely: a temporary file beside it (`.<name>.<pid>.<hex>.tmp`), written in
 * full, flushed, verified, then renamed over it. Creates the parent directory; removes temporaries
 * that earlier writes to `file` left when their process died. A symbolic link at `file` is
 * followed, so the file it points to is replaced; an existing file's permissions are kept.
 * @throws FileWriteError, one line naming `file`: a directory or a device in the way, a directory
 * that cannot be made, a temporary that cannot be created. Every later failure (`write`, `verify`,
 * `commit`) removes the temporary and throws the same way, e.g. `cannot write: no space left on the device`.
 */
export async function openSafeFile(file: string): Promise<SafeFile> {
  // Only a link at the name itself matters for the rename; realpath on every write is costly (a run saves often).
  const target = (await lstat(file).catch(() => undefined))?.isSymbolicLink() ? await realpath(file).catch(() => file) : file;
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new FileWriteError(file, 'is a directory; expected the name of a file to write');
  if (existing && !existing.isFile())
    throw new FileWriteError(file, 'not a regular file (a device, pipe or socket); refusing to replace it');
  const created = await makeDirectory(dirname(target)).catch((error: unknown) => {
    throw new FileWriteError(file, `cannot create its directory ${dirname(target)}: ${writeProblem(error)}`, { cause: error });
  });
  await removeStaleTempsOnce(target);
  const temporary = tempPathFor(target);
  // Read as well as write: verify reads the file back.
  const handle = await open(temporary, 'wx+').catch(async (error: unknown) => {
    await removeEmptyDirectories(created);
    throw new FileWriteError(file, `cannot write: ${writeProblem(error)}`, { cause: error });
  });
  return new TemporaryFile(file, target, temporary, handle, existing, created);
}

/**
 * Write `data` to `file` safely (see {@link openSafeFile}): on success `file` holds exactly `data`;
 * on any failure it holds what it held before, and no temporary file is left.
 * @throws FileWriteError, one line naming `file` and the reason (`no space left on the device`).
 */
export async function writeFileSafely(file: string, data: Uint8Array | string, check?: WriteCheck): Promise<void> {
  const out = await openSafeFile(file);
  await out.write(data);
  await out.commit(check);
}

class TemporaryFile implements SafeFile {
  private written = 0;
  private state: 'open' | 'verified' | 'done' = 'open';

  constructor(
    readonly file: string,
    private readonly target: string,
    private readonly temporary: string,
    private readonly handle: FileHandle,
    private readonly existing: Stats | undefined,
    /** Directories made for this file, outermost first: a discarded write leaves none of them behind. */
    private readonly created: readonly string[],
  ) {}

  async write(data: Uint8Array | string): Promise<void> {
    if (this.state !== 'open') throw new Error(`${this.file}: write after verify, commit or discard`);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.guard(async () => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.written + done);
        // write(2) reports a full disk as a short count first; a count of 0 would loop for ever.
        if (bytesWritten === 0) throw Object.assign(new Error('nothing written'), { code: 'ENOSPC' });
        done += bytesWritten;
      }
      this.written += done;
    });
  }

  async verify(check?: WriteCheck): Promise<void> {
    if (this.state !== 'open') return;
    await this.guard(async () => {
      await this.keepPermissions();
      await this.handle.sync();
      const size = (await this.handle.stat()).size;
      if (size !== this.written) throw new Error(`wrote ${this.written} bytes but the file holds ${size}`);
      if (check?.sha256 !== undefined && (await this.readBackSha256()) !== check.sha256) {
        throw new Error('the file read back differs from what was written (sha-256 mismatch)');
      }
      await this.handle.close();
    });
    this.state = 'verified';
  }

  async commit(check?: WriteCheck): Promise<void> {
    await this.verify(check);
    if (this.state !== 'verified') throw new Error(`${this.file}: commit after discard`);
    await this.guard(() => rename(this.temporary, this.target));
    this.state = 'done';
    await syncDirectory(dirname(this.target));
  }

  async discard(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    await this.handle.close().catch(() => {});
    await unlink(this.temporary).catch(() => {});
    await removeEmptyDirectories(this.created);
  }

  /** Run a step; on failure remove the temporary and throw one line naming the file. */
  private async guard(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      await this.discard();
      throw new FileWriteError(this.file, `cannot write: ${writeProblem(error)}`, { cause: error });
    }
  }

  /** The replaced file's mode and (when allowed) owner, so replacing a file does not widen or change who may read it. */
  private async keepPermissions(): Promise<void> {
    if (!this.existing) return;
    await this.handle.chmod(this.existing.mode & 0o7777);
    if (process.getuid?.() === 0) await this.handle.chown(this.existing.uid, this.existing.gid).catch(() => {});
  }

  private async readBackSha256(): Promise<string> {
    const hash = createHash('sha256');
    // Sized to the file, not zero-filled: checkpoints are written often, and a fresh 1 MiB each time keeps the GC busy.
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(this.written, 1 << 20)));
    for (let position = 0; position < this.written; ) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return hash.digest('hex');
  }
}

/** Targets whose stale temporaries this process has cleared: once is enough, as only a dead process leaves them. */
const cleared = new Set<string>();

/** {@link removeStaleTemps} for `target`, the first time this process writes it. */
export async function removeStaleTempsOnce(target: string): Promise<void> {
  if (cleared.has(target)) return;
  await removeStaleTemps(target);
  cleared.add(target);
}

/**
 * `mkdir -p`, failing with the real reason: Node's recursive mkdir says ENOENT for a read-only file system.
 * @returns the directories it made, outermost first (none when `dir` existed).
 */
async function makeDirectory(dir: string): Promise<string[]> {
  try {
    return directoriesFrom(await mkdir(dir, { recursive: true }), dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = dir;
    while (
      dirname(missing) !== missing &&
      !(await stat(dirname(missing)).then(
        () => true,
        () => false,
      ))
    )
      missing = dirname(missing);
    // Fails with the real reason; should it succeed (made meanwhile by someone else), go on.
    await mkdir(missing);
    await mkdir(dir, { recursive: true });
    return directoriesFrom(missing, dir);
  }
}

/** `first` (the outermost directory mkdir made) and every directory below it down to `dir`, outermost first. */
function directoriesFrom(first: string | undefined, dir: string): string[] {
  if (first === undefined) return [];
  const made: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    made.unshift(d);
    if (d === first || dirname(d) === d) return made;
  }
}

/** Remove `dirs` (outermost first) from the innermost out, each only when empty; never throws. */
async function removeEmptyDirectories(dirs: readonly string[]): Promise<void> {
  for (const dir of [...dirs].reverse())
    if (
      !(await rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      return;
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is on disk. Some platforms cannot fsync a
  // directory; the file itself is already synced, so that is no reason to fail.
  const handle = await open(dir, 'r').catch(() => undefined);
  try {
    await handle?.sync();
  } catch {
    // See above.
  } finally {
    await handle?.close().catch(() => {});
  }
}
