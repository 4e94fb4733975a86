import { readManifest, recordedBase as basePath, type FlagPath } from '@headstart/core';

/**
 * The base a LoRA adapter given as `adapter` (`the --from adapter`, `the --model adapter`) records,
 * as an input an output must not replace (replacing it would leave the adapter unreadable). Nothing
 * for any other file: reading it fails later, with its own message.
 */
export async function recordedBase(from: string | undefined, adapter = 'the --from adapter'): Promise<FlagPath[]> {
  if (from === undefined || !from.endsWith('.safetensors')) return [];
  const base = await readManifest(from).then(
    (overview) => (overview.manifest.adapter ? basePath(from, overview.manifest.adapter) : undefined),
    () => undefined,
  );
  return base === undefined ? [] : [{ flag: `the base ${adapter} records`, path: base }];
}
