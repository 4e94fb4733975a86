import type { ModelFormat } from '@headstart/core';
import { dirname, join } from 'node:path';
import { exportPaths, readModelJson } from './layers-model-files.js';

/**
 * The tfjs layers-model format: a `model.json` (Keras topology and weights manifest) with its weight
 * shards, as `model.save`, the Keras converter and `headstart export --format tfjs` write it; given
 * as the `.json` file or as the directory holding `model.json`.
 */
export const LAYERS_MODEL_FORMAT: ModelFormat = {
  name: 'tfjs',
  extensions: ['.json'],
  directoryEntry: 'model.json',
  import: true,
  export: true,
  sniff: looksLikeModelJson,
  exportFiles(out) {
    const paths = exportPaths(out);
    return [paths.modelJson, join(paths.dir, paths.weightsFile)];
  },
  async importFiles(file) {
    const { path, json } = await readModelJson(file);
    return (json.weightsManifest ?? []).flatMap((group) => group.paths.map((shard) => join(dirname(path), shard)));
  },
};

/**
 * Whether `head` starts like a tfjs model.json: a JSON object with a `"modelTopology"` key near the
 * start (tfjs writes it first, the Keras converter after three short fields). A graph model has one
 * too, so it reaches the import, which says it has no layers.
 */
export function looksLikeModelJson(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  return /^\uFEFF?\s*\{/.test(text) && text.includes('"modelTopology"');
}
