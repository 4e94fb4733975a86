import { checkOutput, HeadstartError, readManifest, readWithBase, recordedBase, writeCheckpoint } from '@headstart/core';
import { foldLora, withoutLora } from '@headstart/strategies';

/**
 * `headstart merge ADAPTER [--base BASE] --out OUT`: a LoRA adapter checkpoint folded into its base
 * (W' = W + s·A·B) as a plain checkpoint with the base's architecture and the adapter's head, which
 * every command (export included) reads without the base.
 */
export async function merge(file: string, flags: { base?: string | undefined; out: string }): Promise<void> {
  // The base the adapter records is an input too when --base is not given: OUT must not replace it.
  const adapter = flags.base ? undefined : (await readManifest(file)).manifest.adapter;
  const recorded = adapter && recordedBase(file, adapter);
  await checkOutput({ flag: '--out', path: flags.out }, [
    { flag: 'the adapter', path: file },
    ...(flags.base ? [{ flag: '--base', path: flags.base }] : []),
    ...(recorded ? [{ flag: 'the base the adapter records', path: recorded }] : []),
  ]);
  const checkpoint = await readWithBase(file, flags.base);
  const { manifest } = checkpoint;
  if (!manifest.adapter)
    throw new HeadstartError('USAGE', `${file}: not a LoRA adapter checkpoint (its manifest has no adapter); there is nothing to merge`);
  const { targets } = manifest.adapter;
  const { sha256 } = await writeCheckpoint(flags.out, {
    manifest: {
      spec: withoutLora(manifest.spec, targets),
      labels: manifest.labels,
      ...(manifest.featureNames ? { featureNames: manifest.featureNames } : {}),
      preprocessing: manifest.preprocessing,
      provenance: [
        ...manifest.provenance,
        {
          strategy: 'merge',
          options: { adapter: file, base: flags.base ?? recordedBase(file, manifest.adapter), targets },
          backend: 'none',
          parent: checkpoint.sha256,
          startedAt: new Date().toISOString(),
        },
      ],
    },
    weights: foldLora(checkpoint.weights, targets),
  });
  process.stdout.write(`merged ${file} into its base → ${flags.out} (${targets.length} layers, sha256 ${sha256.slice(0, 12)}…)\n`);
}
