import { existsSync, statSync } from 'node:fs';
import { getRegistry, readCheckpoint, type StartingPoint } from '@headstart/core';
import { CliError } from './cli-error.js';

/**
 * `--from`: a headstart checkpoint, or a model in a backend's native format imported by the
 * first backend that can (an ONNX file, a tfjs model.json).
 */
export async function loadStartingPoint(file: string): Promise<StartingPoint & { importedBy?: string }> {
  if (file.endsWith('.safetensors')) {
    const checkpoint = await readCheckpoint(file);
    const { manifest } = checkpoint;
    return {
      file,
      spec: manifest.spec,
      weights: checkpoint.weights,
      sha256: checkpoint.sha256,
      manifest,
      ...(manifest.labels ? { labels: manifest.labels } : {}),
      preprocessing: manifest.preprocessing,
    };
  }
  const byName = await importByName(file);
  if (byName) return byName;
  const registry = getRegistry();
  const tried: string[] = [];
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  for (const name of registry.names('backend')) {
    const backend = await registry.get('backend', name);
    if (!backend.importModel) continue;
    tried.push(name);
    if (!(await registry.start(name)).availability.available) continue;
    const imported = await backend.importModel(file);
    return { file, spec: imported.spec, weights: imported.weights, importedBy: name };
  }
  throw new CliError(
    `--from ${file}: not a .safetensors checkpoint, and no backend can import it (backends with import: ${tried.join(', ') || 'none'})`,
  );
}

/**
 * Which backend reads a native model file, by its name: an ONNX file, or a tfjs layers model
 * (`model.json`, or the directory holding it). Other names go to every backend that imports.
 */
const IMPORTERS: { backend: string; reads: (file: string) => boolean }[] = [
  { backend: 'onnx', reads: (file) => file.endsWith('.onnx') },
  { backend: 'tfjs', reads: (file) => file.endsWith('.json') || isDirectory(file) },
];

/**
 * Import with the backend whose format the file name says, when that backend is registered.
 * @returns undefined when no backend claims the name, so the caller can try them all.
 * @throws CliError when the backend that reads the format cannot run here.
 */
async function importByName(file: string): Promise<(StartingPoint & { importedBy: string }) | undefined> {
  const registry = getRegistry();
  const name = IMPORTERS.find((i) => i.reads(file) && registry.names('backend').includes(i.backend))?.backend;
  if (!name) return undefined;
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const backend = await registry.get('backend', name);
  if (!backend.importModel) return undefined;
  if (!(await registry.start(name)).availability.available)
    throw new CliError(`${file}: the ${name} backend, which reads this format, cannot run here (see headstart doctor)`);
  const imported = await backend.importModel(file);
  return { file, spec: imported.spec, weights: imported.weights, importedBy: name };
}

/** Whether `file` is a directory (a tfjs model given as its folder). */
export function isDirectory(file: string): boolean {
  return existsSync(file) && statSync(file).isDirectory();
}
