// One tmpfs helper for every full-disk test: core's unit tests own it.
export * from '../../packages/core/src/io/__fixtures__/tmpfs.js';
