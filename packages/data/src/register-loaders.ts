import { getRegistry, type DatasetLoader, type Registry } from '@headstart/core';
import { csvLoader } from './loaders/csv-loader.js';
import { idxLoader } from './loaders/idx-loader.js';
import { imageFolderLoader } from './loaders/image-folder-loader.js';
import { jsonlLoader } from './loaders/jsonl-loader.js';

/** The `source` this package's loaders are registered under. */
export const LOADERS_SOURCE = '@headstart/data';
const FACTORIES: ReadonlyArray<() => DatasetLoader> = [csvLoader, jsonlLoader, idxLoader, imageFolderLoader];

/** Fresh instances of this package's loaders: `csv`, `jsonl`, `idx`, `images`. */
export function builtinLoaders(): DatasetLoader[] {
  return FACTORIES.map((factory) => factory());
}

/**
 * Register this package's loaders (`csv`, `jsonl`, `idx`, `images`) in `registry` (the process
 * registry by default), at priority 0 under source `@headstart/data`, so that `loadDataset` and
 * its kin can choose them. A name already registered is left alone: a plugin that registered
 * first keeps it. Safe to call repeatedly. Importing this package registers nothing by itself.
 */
export function registerLoaders(registry: Registry = getRegistry()): void {
  const taken = new Set(registry.list('loader').map((entry) => entry.name));
  for (const factory of FACTORIES) {
    const { name } = factory();
    if (!taken.has(name)) registry.register('loader', name, factory, { priority: 0, source: LOADERS_SOURCE });
  }
}
