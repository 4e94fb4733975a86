import { DataError, sizeOf, type Dataset, type Preprocessing } from '@headstart/core';
import { beyondFloat32 } from '../records/float32.js';

/** The kinds of preprocessing {@link computePreprocessing} computes. */
export type PreprocessingKind = Preprocessing['kind'];

/**
 * Compute preprocessing from (training) data, to store in the checkpoint and apply to every split
 * with {@link applyPreprocessing} (scikit-learn's `fit` of a scaler; named so it is not read as
 * training a model):
 * - `none`: leave features as they are;
 * - `scale`: divide by `factor`, by default the largest absolute feature value (16 for the
 *   digits, 255 for 8-bit images);
 * - `standardize`: per-feature mean and standard deviation (population); a constant feature
 *   gets std 1, so it becomes 0 rather than a division by zero.
 */
export function computePreprocessing(kind: PreprocessingKind, dataset: Dataset, factor?: number): Preprocessing {
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'scale':
      return { kind: 'scale', factor: checkFactor(factor ?? largestMagnitude(dataset.features)) };
    case 'standardize':
      return { kind: 'standardize', ...featureStatistics(dataset) };
  }
}

/**
 * @deprecated Renamed {@link computePreprocessing} (it computes statistics; it trains nothing). Same
 * function, kept so code written against the old name still works.
 */
export const fitPreprocessing: typeof computePreprocessing = computePreprocessing;

/**
 * A new dataset with `preprocessing` applied to its features (the input is left unchanged).
 * @throws DataError naming the feature when a value leaves the float32 range (`--scale 1e-40`).
 */
export function applyPreprocessing(preprocessing: Preprocessing, dataset: Dataset): Dataset {
  switch (preprocessing.kind) {
    case 'none':
      return { ...dataset };
    case 'scale':
      return {
        ...dataset,
        features: checkFinite(
          dataset,
          scaled(dataset.features, preprocessing.factor),
          `divided by the scale factor ${preprocessing.factor}`,
        ),
      };
    case 'standardize':
      return { ...dataset, features: checkFinite(dataset, standardized(dataset, preprocessing.mean, preprocessing.std), 'standardized') };
  }
}

/** `features` when every value is finite, else a one-line error naming the first feature that is not. */
function checkFinite(dataset: Dataset, features: Float32Array, how: string): Float32Array {
  for (let i = 0; i < features.length; i++) {
    if (Number.isFinite(features[i]!)) continue;
    const feature = i % sizeOf(dataset.sampleShape);
    const name = dataset.featureNames?.[feature];
    const problem = beyondFloat32(`${dataset.features[i]} ${how}`);
    throw new DataError(
      dataset.source.file,
      name !== undefined ? problem : `feature ${feature + 1}: ${problem}`,
      name !== undefined ? { column: name } : undefined,
    );
  }
  return features;
}

function largestMagnitude(features: Float32Array): number {
  let largest = 0;
  for (const value of features) largest = Math.max(largest, Math.abs(value));
  return largest > 0 ? largest : 1;
}

function checkFactor(factor: number): number {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`scale factor must be a positive number, got ${factor}`);
  return factor;
}

function scaled(features: Float32Array, factor: number): Float32Array {
  checkFactor(factor);
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) out[i] = features[i]! / factor;
  return out;
}

/** Per-feature mean and population std, accumulated in float64. */
function featureStatistics(dataset: Dataset): { mean: number[]; std: number[] } {
  const width = sizeOf(dataset.sampleShape);
  const sum = new Float64Array(width);
  const squares = new Float64Array(width);
  for (let i = 0; i < dataset.size * width; i++) sum[i % width]! += dataset.features[i]!;
  const mean = Array.from(sum, (s) => s / Math.max(1, dataset.size));
  for (let i = 0; i < dataset.size * width; i++) squares[i % width]! += (dataset.features[i]! - mean[i % width]!) ** 2;
  const std = Array.from(squares, (s, i) => {
    const deviation = Math.sqrt(s / Math.max(1, dataset.size));
    // Below float32 resolution the feature is constant; rounding noise must not be blown up to ±1.
    return deviation <= 1e-6 * Math.max(1, Math.abs(mean[i]!)) ? 1 : deviation;
  });
  return { mean, std };
}

function standardized(dataset: Dataset, mean: number[], std: number[]): Float32Array {
  const width = sizeOf(dataset.sampleShape);
  if (mean.length !== width || std.length !== width) {
    throw new DataError(dataset.source.file, `the preprocessing expects ${mean.length} features per sample, but the data has ${width}`);
  }
  const out = new Float32Array(dataset.features.length);
  for (let i = 0; i < out.length; i++) out[i] = (dataset.features[i]! - mean[i % width]!) / (std[i % width]! || 1);
  return out;
}
