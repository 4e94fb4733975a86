import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

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
