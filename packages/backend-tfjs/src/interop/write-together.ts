import { openSafeFile, type SafeFile } from '@headstart/core';

/**
 * Write every file aside and verify them all, then rename them in order (weights first: a
 * model.json that exists always has its shard). A failure before the renames leaves no file changed.
 */
export async function writeTogether(files: [string, Uint8Array | string][]): Promise<void> {
  const opened: SafeFile[] = [];
  try {
    for (const [file, data] of files) {
      const out = await openSafeFile(file);
      opened.push(out);
      await out.write(data);
      await out.verify();
    }
  } catch (error) {
    // One after another, the last opened first: the first file's discard removes the folder it made, once empty.
    for (const out of opened.reverse()) await out.discard();
    throw error;
  }
  for (const out of opened) await out.commit();
}
