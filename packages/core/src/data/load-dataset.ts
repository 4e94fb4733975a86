import { stat } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { getRegistry, type Registry } from '../registry.js';
import { sizeOf } from '../tensors.js';
import { chunkRecords, sliceChunks } from './collect-records.js';
import { csvLoader } from './csv-loader.js';
import type { ChunkOptions, DataRecord, Dataset, DatasetLoader, LoadOptions } from './dataset.js';
import { idxLoader } from './idx-loader.js';
import { imageFolderLoader } from './image-folder-loader.js';
import { jsonlLoader } from './jsonl-loader.js';
import { readError } from './read-error.js';

const BUILTIN_SOURCE = '@headstart/core';
const BUILTIN_FACTORIES: ReadonlyArray<() => DatasetLoader> = [csvLoader, jsonlLoader, idxLoader, imageFolderLoader];

/** Options of {@link loadDataset}: how to read, and optionally which loader. */
export interface LoadDatasetOptions extends LoadOptions {
  /** A loader name (`csv`) to use instead of choosing one by the path (e.g. for a `.txt` CSV). */
  format?: string;
}

/** Fresh instances of the built-in loaders: `csv`, `jsonl`, `idx`, `images`. */
export function builtinLoaders(): DatasetLoader[] {
  return BUILTIN_FACTORIES.map((factory) => factory());
}

/**
 * Register each built-in loader in `registry` (the process registry by default), at priority 0
 * under source `@headstart/core`, unless a loader of that name is registered already: a plugin
 * that registered first keeps the name. Safe to call repeatedly.
 */
export function registerBuiltinLoaders(registry: Registry = getRegistry()): void {
  const taken = new Set(registry.list('loader').map((entry) => entry.name));
  for (const factory of BUILTIN_FACTORIES) {
    const { name } = factory();
    if (!taken.has(name)) registry.register('loader', name, factory, { priority: 0, source: BUILTIN_SOURCE });
  }
}

/**
 * Load a file or folder with the first registered loader (highest priority, then by name) whose
 * `canLoad` accepts it, or the loader named by `options.format`. A missing path, or one no loader
 * reads, is a one-line {@link DataError}.
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
  else if (loader.records) yield* chunkRecords(loader.records(path, chunkOptions), { file: path, format: loader.name, options: chunkOptions }, chunkOptions.chunkSize);
  else yield* sliceChunks(await loader.load(path, chunkOptions), chunkOptions.chunkSize);
}

async function pickLoader(path: string, format: string | undefined): Promise<DatasetLoader> {
  const isDirectory = await stat(path).then(
    (info) => info.isDirectory(),
    (error: unknown) => Promise.reject(readError(path, error)),
  );
  const registry = getRegistry();
  registerBuiltinLoaders(registry);
  if (format !== undefined) return registry.get('loader', format);
  const candidates = registry.list('loader').filter((e) => e.status === 'active').sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  // A plugin loader that fails to start must not stop the others from reading the file.
  const settled = await Promise.allSettled(candidates.map((entry) => registry.get('loader', entry.name)));
  const loaders = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const chosen = loaders.find((loader) => loader.canLoad(path, isDirectory));
  if (chosen) return chosen;
  const broken = settled.flatMap((result) => (result.status === 'rejected' ? [`; failed to start: ${String((result.reason as Error)?.message ?? result.reason)}`] : []));
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
