import { sizeOf, type DataRecord, type Dataset } from '@headstart/core';
import { RecordCollector, type CollectContext } from './record-collector.js';

/** Samples a chunk when the caller does not say. */
export const DEFAULT_CHUNK_SIZE = 1024;

/**
 * Read a loader's records into one in-memory {@link Dataset} (see {@link RecordCollector}).
 * @internal
 */
export async function collectRecords(records: AsyncIterable<DataRecord>, context: CollectContext): Promise<Dataset> {
  const collector = new RecordCollector(context);
  for await (const record of records) collector.add(record);
  return collector.take();
}

/**
 * Read a loader's records as datasets of `chunkSize` samples (the last may hold fewer), checked
 * as {@link collectRecords} checks a whole file, so only one chunk is in memory at a time.
 * Labelled records need a fixed `options.labelMap`: every chunk's labels index into it.
 * @throws TypeError for `extendLabels`, or labelled records without a `labelMap`.
 * @internal
 */
export async function* chunkRecords(
  records: AsyncIterable<DataRecord>,
  context: CollectContext,
  chunkSize = DEFAULT_CHUNK_SIZE,
): AsyncGenerator<Dataset> {
  checkChunkSize(chunkSize);
  // A label first seen in a later chunk would change the indices of the chunks already handed out.
  if (context.options.extendLabels)
    throw new TypeError('extendLabels is not supported when streaming in chunks; load the data whole instead');
  const collector = new RecordCollector(context);
  const take = (): Dataset => {
    const chunk = collector.take();
    if (chunk.labels && !context.options.labelMap)
      throw new TypeError('streaming labelled data in chunks needs a fixed labelMap (options.labelMap)');
    return chunk;
  };
  for await (const record of records) {
    collector.add(record);
    if (collector.size === chunkSize) yield take();
  }
  // An empty stream still takes once, for the "holds no samples" error.
  if (collector.size > 0 || collector.count === 0) yield take();
}

/**
 * A dataset already in memory as chunks of `chunkSize` samples: views into its buffers, not
 * copies. For loaders that cannot stream.
 * @internal
 */
export function* sliceChunks(dataset: Dataset, chunkSize = DEFAULT_CHUNK_SIZE): Generator<Dataset> {
  checkChunkSize(chunkSize);
  const width = sizeOf(dataset.sampleShape);
  for (let start = 0; start < dataset.size; start += chunkSize) {
    const end = Math.min(dataset.size, start + chunkSize);
    const features = dataset.features.subarray(start * width, end * width);
    yield { ...dataset, size: end - start, features, ...(dataset.labels ? { labels: dataset.labels.subarray(start, end) } : {}) };
  }
}

function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`chunk size must be a positive whole number, got ${chunkSize}`);
}
