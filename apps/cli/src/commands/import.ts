import { sha256OfFile, writeCheckpoint } from '@headstart/core';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { loadStartingPoint } from '../start-point.js';

/** `headstart import MODEL --out CKPT`: a model in a backend's native format as a headstart checkpoint. */
export async function importModel(file: string, flags: { out: string }): Promise<void> {
  const reporter = createReporter({ json: false });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const start = await loadStartingPoint(file);
  const now = new Date().toISOString();
  const { sha256 } = await writeCheckpoint(flags.out, {
    manifest: {
      spec: start.spec,
      preprocessing: { kind: 'none' },
      provenance: [{ strategy: 'import', options: { file }, data: { file, format: 'model', sha256: await sha256OfFile(file) }, backend: start.importedBy ?? 'unknown', startedAt: now, finishedAt: now }],
    },
    weights: start.weights,
  });
  process.stdout.write(`imported ${file} → ${flags.out} (${start.spec.layers.length} layers, sha256 ${sha256.slice(0, 12)}…)\n`);
}
