import { stat } from 'node:fs/promises';
import {
  DataError,
  getRegistry,
  sizeOf,
  type ChunkOptions,
  type DataRecord,
  type Dataset,
  type DatasetLoader,
  type LoadOptions,
} from '@headstart/core';
import { chunkRecords, sliceChunks } from './records/collect-records.js';
import { readError } from './records/read-error.js';

/** Options of {@link loadDataset}: how to read, and optionally which loader. */
export interface LoadDatasetOptions extends LoadOptions {
  /** A loader name (`csv`) to use instead of choosing one by the path (e.g. for a `.txt` CSV). */
  format?: string | undefined;
}

/**
 * Load a file or folder with the first loader of the process registry (highest priority, then by
 * name) whose `canLoad` accepts it, or the loader named by `options.format`. The registry holds
 * loaders that were registered: {@link registerLoaders} puts this package's there. A missing
 * path, or one no loader reads, is a one-line {@link DataError}.
 */
export async function loadDataset(path: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const { format, ...loadOptions } = options;
  const loader = await pickLoader(path, format);
  return loader.load(path, loadOptions);
}

/**
 * Stream the samples of a file or folder one at a time, chosen as {@link loadDataset} chooses.
 * Labels come as the source has them (a CSV label is its cell's text). A loader without
 * `records` is loaded whole and replayed.
 */
export async function* streamDataset(path: string, options: LoadDatasetOptions = {}): AsyncGenerator<DataRecord> {
  const { format, ...loadOptions } = options;
  const loader = await pickLoader(path, format);
  if (loader.records) {
    yield* loader.records(path, loadOptions);
    return;
  }
  yield* replay(await loader.load(path, loadOptions));
}

/**
 * Stream a file or folder as in-memory datasets of `chunkSize` samples, chosen as
 * {@link loadDataset} chooses, checked, shaped and labelled as it loads them: for evaluating or
 * predicting on files larger than memory. Labelled data needs `labelMap` (every chunk indexes
 * into it); `featureNames` puts named columns in a model's order. A loader that cannot stream
 * is loaded whole and sliced.
 */
export async function* streamChunks(path: string, options: LoadDatasetOptions & ChunkOptions = {}): AsyncGenerator<Dataset> {
  const { format, ...chunkOptions } = options;
  const loader = await pickLoader(path, format);
  if (loader.chunks) yield* loader.chunks(path, chunkOptions);
  else if (loader.records)
    yield* chunkRecords(
      loader.records(path, chunkOptions),
      { file: path, format: loader.name, options: chunkOptions },
      chunkOptions.chunkSize,
    );
  else yield* sliceChunks(await loader.load(path, chunkOptions), chunkOptions.chunkSize);
}

async function pickLoader(path: string, format: string | undefined): Promise<DatasetLoader> {
  const isDirectory = await stat(path).then(
    (info) => info.isDirectory(),
    (error: unknown) => Promise.reject(readError(path, error)),
  );
  const registry = getRegistry();
  if (registry.list('loader').length === 0)
    throw new DataError(path, 'no data loader is registered; call registerLoaders() of @headstart/data first');
  if (format !== undefined) return registry.get('loader', format);
  const candidates = registry
    .list('loader')
    .filter((e) => e.status === 'active')
    .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  // A plugin loader that fails to start must not stop the others from reading the file.
  const settled = await Promise.allSettled(candidates.map((entry) => registry.get('loader', entry.name)));
  const loaders = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const chosen = loaders.find((loader) => loader.canLoad(path, isDirectory));
  if (chosen) return chosen;
  const broken = settled.flatMap((result) =>
    result.status === 'rejected' ? [`; failed to start: ${String((result.reason as Error)?.message ?? result.reason)}`] : [],
  );
  const known = loaders.map(describeLoader).sort().join('; ');
  throw new DataError(path, `no data loader reads this ${isDirectory ? 'folder' : 'file'}; the loaders are: ${known}${broken.join('')}`);
}

function describeLoader(loader: DatasetLoader): string {
  const extensions = loader.extensions?.join(', ');
  if (loader.directories) return `${loader.name} (a folder${extensions ? ` of ${extensions}` : ''})`;
  return extensions ? `${loader.name} (${extensions})` : loader.name;
}

function* replay(dataset: Dataset): Generator<DataRecord> {
  const width = sizeOf(dataset.sampleShape);
  for (let i = 0; i < dataset.size; i++) {
    const label = dataset.labels && dataset.labelMap ? dataset.labelMap[dataset.labels[i]!] : undefined;
    const features = dataset.features.slice(i * width, (i + 1) * width);
    yield { features, line: i + 1, shape: [...dataset.sampleShape], ...(label !== undefined ? { label } : {}) };
  }
}
