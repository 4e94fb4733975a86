import type { Dataset } from '@headstart/core';

/**
 * The samples of several datasets of one sample shape, one after another, without labels: an
 * unlabelled pool for unsupervised pre-training.
 */
export function concatUnlabeled(parts: readonly Dataset[]): Dataset {
  const first = parts[0];
  if (!first) throw new RangeError('concatUnlabeled needs at least one dataset');
  const shape = first.sampleShape.join(',');
  const bad = parts.find((p) => p.sampleShape.join(',') !== shape);
  if (bad) throw new RangeError(`cannot join samples of shape [${bad.sampleShape}] to samples of shape [${shape}]`);
  const features = new Float32Array(parts.reduce((n, p) => n + p.features.length, 0));
  let offset = 0;
  for (const p of parts) {
    features.set(p.features, offset);
    offset += p.features.length;
  }
  return { size: parts.reduce((n, p) => n + p.size, 0), sampleShape: [...first.sampleShape], features, source: first.source };
}
