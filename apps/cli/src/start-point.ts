import { existsSync } from 'node:fs';
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
  throw new CliError(`--from ${file}: not a .safetensors checkpoint, and no backend can import it (backends with import: ${tried.join(', ') || 'none'})`);
}
