import { getRegistry, readWithBase, type StartingPoint } from '@headstart/core';
import { CliError } from './cli-error.js';
import { findImporter, type Importer } from './model-formats.js';

/**
 * `--from`: a headstart checkpoint, or a model in a format a backend declares it imports (an ONNX
 * file, a tfjs model.json), imported by that backend (see {@link findImporter}).
 * @param importer the format already chosen for `file` (by `headstart import`, which checks its output against the file read).
 */
export async function loadStartingPoint(file: string, importer?: Importer): Promise<StartingPoint & { importedBy?: string | undefined }> {
  if (file.endsWith('.safetensors')) {
    const checkpoint = await readWithBase(file);
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
  const { backend, format } = importer ?? (await findImporter(file));
  if (!(await getRegistry().start(backend.name)).availability.available) {
    throw new CliError(`${file}: the ${backend.name} backend, which reads format ${format.name}, cannot run here (see headstart doctor)`);
  }
  const imported = await backend.importModel!(file);
  return { file, spec: imported.spec, weights: imported.weights, importedBy: backend.name };
}
