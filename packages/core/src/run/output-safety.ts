import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { HeadstartError } from '../errors.js';

/** A path and the flag (or word) that named it, for messages: `{ flag: '--data', path: 'd.csv' }`. */
export interface FlagPath {
  flag: string;
  path: string;
}

/** A file a command writes beside its output, and what it is (`resume checkpoint`, `lock`). */
export interface DerivedFile {
  what: string;
  path: string;
}

/** The longest file name (one path component) common file systems take, in bytes (NAME_MAX). */
export const NAME_MAX = 255;

/**
 * The rule every command that writes follows before it writes anything: the output, and each file
 * written beside it, has a name the file system takes, is not a device, FIFO or socket (a file
 * renamed into place would replace the node), and is not one of the command's inputs (the same
 * file by device and inode when both exist, else the same real path).
 * @param inputs what the command reads; `undefined` entries (flags not given) are skipped.
 * @throws HeadstartError `USAGE`, one line naming the flag and the paths.
 */
export async function checkOutput(
  out: FlagPath,
  inputs: readonly (FlagPath | undefined)[],
  derived: readonly DerivedFile[] = [],
): Promise<void> {
  checkNameLength(out, out.path);
  for (const file of derived) checkNameLength(out, file.path, file.what);
  await checkNotSpecial(out, out.path);
  for (const file of derived) await checkNotSpecial(out, file.path, file.what);
  for (const input of inputs) {
    if (!input) continue;
    if (await sameFile(out.path, input.path)) {
      refuse(
        `${out.flag} ${out.path} is the same file as ${input.flag} ${input.path}; writing it would destroy the input: choose another ${out.flag}`,
      );
    }
    for (const file of derived) {
      if (await sameFile(file.path, input.path))
        refuse(
          `${out.flag} ${out.path}: its ${file.what} ${file.path} is the same file as ${input.flag} ${input.path}; choose another ${out.flag}`,
        );
    }
  }
}

/** Whether two paths name the same file: by device and inode when both exist, else by real parent and name. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  return (await canonical(a)) === (await canonical(b));
}

function checkNameLength(out: FlagPath, path: string, what?: string): void {
  const bytes = Buffer.byteLength(basename(path));
  if (bytes <= NAME_MAX) return;
  const whose = what ? `its ${what} ${path} has a file name of` : 'its file name has';
  refuse(
    `${out.flag} ${out.path}: ${whose} ${bytes} bytes, over the file system limit of ${NAME_MAX} (NAME_MAX); choose a shorter ${out.flag}`,
  );
}

async function checkNotSpecial(out: FlagPath, path: string, what?: string): Promise<void> {
  const kind = specialKind(await stat(path).catch(() => undefined));
  if (!kind) return;
  const where = what ? `${out.flag} ${out.path}: its ${what} ${path}` : `${out.flag} ${path}`;
  refuse(`${where} is ${kind}, not a regular file; give the path of a file to write`);
}

function specialKind(info: Stats | undefined): string | undefined {
  if (info?.isCharacterDevice()) return 'a character device';
  if (info?.isBlockDevice()) return 'a block device';
  if (info?.isFIFO()) return 'a FIFO (named pipe)';
  if (info?.isSocket()) return 'a socket';
  return undefined;
}

/** The real path of the parent folder (when it exists) and the name: what a file not yet written would be. */
async function canonical(path: string): Promise<string> {
  const absolute = resolve(path);
  const parent = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  return join(parent, basename(absolute));
}

function refuse(message: string): never {
  throw new HeadstartError('USAGE', message);
}
