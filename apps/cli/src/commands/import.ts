import { existsSync, statSync } from 'node:fs';
import { getRegistry, sha256OfFile, writeCheckpoint, type StartingPoint } from '@headstart/core';
import { join } from 'node:path';
import { CliError } from '../cli-error.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { loadStartingPoint } from '../start-point.js';

/**
 * Which backend reads a native model file, by its name: an ONNX file, or a tfjs layers model
 * (`model.json`, or the directory holding it). Other names go to every backend that imports.
 */
const IMPORTERS: { backend: string; reads: (file: string) => boolean }[] = [
  { backend: 'onnx', reads: (file) => file.endsWith('.onnx') },
  { backend: 'tfjs', reads: (file) => file.endsWith('.json') || isDirectory(file) },
];

/** `headstart import MODEL --out CKPT`: a model in a backend's native format as a headstart checkpoint. */
export async function importModel(file: string, flags: { out: string }): Promise<void> {
  const reporter = createReporter({ json: false });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const start = (await importByName(file)) ?? (await loadStartingPoint(file));
  // A tfjs model given as its directory is hashed by its model.json.
  const hashed = isDirectory(file) ? join(file, 'model.json') : file;
  const now = new Date().toISOString();
  const { sha256 } = await writeCheckpoint(flags.out, {
    manifest: {
      spec: start.spec,
      preprocessing: { kind: 'none' },
      provenance: [{ strategy: 'import', options: { file }, data: { file, format: 'model', sha256: await sha256OfFile(hashed) }, backend: start.importedBy ?? 'unknown', startedAt: now, finishedAt: now }],
    },
    weights: start.weights,
  });
  process.stdout.write(`imported ${file} → ${flags.out} (${start.spec.layers.length} layers, sha256 ${sha256.slice(0, 12)}…)\n`);
}

/**
 * Import with the backend whose format the file name says, when that backend is registered.
 * @returns undefined when no backend claims the name, so the caller can try them all.
 * @throws CliError when the backend that reads the format cannot run here.
 */
export async function importByName(file: string): Promise<(StartingPoint & { importedBy: string }) | undefined> {
  const registry = getRegistry();
  const name = IMPORTERS.find((i) => i.reads(file) && registry.names('backend').includes(i.backend))?.backend;
  if (!name) return undefined;
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const backend = await registry.get('backend', name);
  if (!backend.importModel) return undefined;
  if (!(await registry.start(name)).availability.available) throw new CliError(`${file}: the ${name} backend, which reads this format, cannot run here (see headstart doctor)`);
  const imported = await backend.importModel(file);
  return { file, spec: imported.spec, weights: imported.weights, importedBy: name };
}

function isDirectory(file: string): boolean {
  return existsSync(file) && statSync(file).isDirectory();
}
