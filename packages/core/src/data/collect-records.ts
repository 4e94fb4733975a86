import { DataError } from '../errors.js';
import { sameShape } from '../tensors.js';
import type { DataRecord, Dataset, LoadOptions } from './dataset.js';
import { FloatBuffer } from './float-buffer.js';
import { LabelMapBuilder } from './label-map.js';
import { chooseSampleShape, formatShape } from './sample-shape.js';

/** What {@link collectRecords} needs to know besides the records. @internal */
export interface CollectContext {
  /** Path as the user gave it. */
  file: string;
  /** Loader name, for `source.format`. */
  format: string;
  options: LoadOptions;
  featureNames?: string[];
  /** The file label errors name, when the labels live in a file of their own (IDX). Default `file`. */
  labelsFile?: string;
  /** What a record's `line` counts, for label errors. Default `line`. */
  unit?: 'line' | 'item';
}

/**
 * Read a loader's records into one in-memory {@link Dataset}: features into a growing float32
 * buffer, labels through a {@link LabelMapBuilder}, every sample checked to have the first one's
 * shape, then the `sampleShape` option applied. `source.sha256` is left for the loader to fill.
 * @internal
 */
export async function collectRecords(records: AsyncIterable<DataRecord>, context: CollectContext): Promise<Dataset> {
  const { file, options } = context;
  const features = new FloatBuffer(64 * 1024);
  const labels = new LabelMapBuilder(context.labelsFile ?? file, { ...options, unit: context.unit ?? 'line' });
  let first: { shape: number[]; line: number; sampleShape: number[] } | undefined;
  let size = 0;
  for await (const record of records) {
    options.signal?.throwIfAborted();
    const shape = record.shape ?? [record.features.length];
    // The sampleShape option is checked on the first sample, not after reading a large file.
    first ??= { shape, line: record.line, sampleShape: chooseSampleShape(file, shape, options.sampleShape) };
    if (!sameShape(shape, first.shape)) {
      throw new DataError(file, `sample shape ${formatShape(shape)} differs from ${formatShape(first.shape)} on ${context.unit ?? 'line'} ${first.line}`, { line: record.line });
    }
    features.push(record.features);
    if (record.label !== undefined) labels.add(record.label, record.line);
    size++;
  }
  if (!first) throw new DataError(file, 'holds no samples');
  if (labels.size !== 0 && labels.size !== size) throw new DataError(file, `${size - labels.size} of ${size} samples have no label`);
  return {
    size,
    sampleShape: first.sampleShape,
    features: features.toArray(),
    ...(labels.size > 0 ? labels.finish() : {}),
    ...(context.featureNames ? { featureNames: context.featureNames } : {}),
    source: { file, format: context.format },
  };
}
