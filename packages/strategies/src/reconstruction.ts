import { sizeOf, type Dataset, type Model } from '@headstart/core';
import { subset } from '@headstart/data';

/** Enough samples for a stable estimate; more only costs time. */
const MAX_SAMPLES = 2048;
const CHUNK = 512;

/**
 * Mean squared reconstruction error of an autoencoder on clean (uncorrupted) inputs, averaged over
 * every value as the `mse` loss is; on at most 2,048 evenly spread samples.
 */
export async function reconstructionLoss(model: Model, data: Dataset): Promise<number> {
  const sample =
    data.size <= MAX_SAMPLES
      ? data
      : subset(
          data,
          Array.from({ length: MAX_SAMPLES }, (_, i) => Math.floor((i * data.size) / MAX_SAMPLES)),
        );
  const width = sizeOf(sample.sampleShape);
  let sum = 0;
  for (let start = 0; start < sample.size; start += CHUNK) {
    const n = Math.min(CHUNK, sample.size - start);
    const x = sample.features.slice(start * width, (start + n) * width);
    const y = await model.predict(x, n);
    for (let i = 0; i < x.length; i++) sum += (y[i]! - x[i]!) ** 2;
  }
  return sum / Math.max(1, sample.size * width);
}
