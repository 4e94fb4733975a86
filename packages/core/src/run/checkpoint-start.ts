import { readWithBase } from '../checkpoint/index.js';
import type { StartingPoint } from '../strategy.js';

/**
 * A headstart checkpoint (an adapter-only one read with its base) as the starting point of a run (`--from`, or `train({ from })`): its
 * spec, weights, labels and preprocessing, with its manifest and sha-256 so that the run's
 * provenance continues its history and names it as the parent.
 */
export async function readStartingPoint(file: string): Promise<StartingPoint> {
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
