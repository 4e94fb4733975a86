import { readWithBase, type Checkpoint, type Model } from '@headstart/core';
import { startBackend } from './backend-choice.js';
import { loadPlugins } from './plugins/load-plugins.js';
import type { Reporter } from './output/reporter.js';

/** A checkpoint loaded onto a backend, for `evaluate` and `predict`; an adapter-only one with its base. */
export async function loadModel(
  file: string,
  backendName: string | undefined,
  reporter: Reporter,
): Promise<{ checkpoint: Checkpoint; model: Model }> {
  // A bad checkpoint fails before plugins are imported (which takes a second).
  const checkpoint = await readWithBase(file);
  const plugins = await loadPlugins();
  plugins.warnings.forEach((w) => reporter.warn(w));
  const { backend } = await startBackend(backendName);
  const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
  return { checkpoint, model };
}
