import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** sha-256 (hex) of one file's bytes, streamed. */
export async function sha256OfFile(file: string): Promise<string> {
  return sha256OfFiles([file]);
}

/** sha-256 (hex) of several files' bytes, one after the other in the given order, streamed. */
export async function sha256OfFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Add one file of a folder to the folder's hash: its relative path (`/`-separated), its length and
 * its bytes. Fed in sorted path order, this makes a folder's `source.sha256`.
 */
export function hashFolderEntry(hash: Hash, relativePath: string, bytes: Uint8Array): void {
  hash.update(`${relativePath}\0${bytes.length}\0`);
  hash.update(bytes);
}

/**
 * sha-256 (hex) of a file, or of a folder: every file below it in sorted path order, each added by
 * {@link hashFolderEntry} with its `/`-separated path relative to the folder.
 */
export async function sha256OfPath(path: string): Promise<string> {
  if (!(await stat(path)).isDirectory()) return sha256OfFile(path);
  const hash = createHash('sha256');
  const files = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const file of files) hashFolderEntry(hash, relative(path, file).split(sep).join('/'), await readFile(file));
  return hash.digest('hex');
}
