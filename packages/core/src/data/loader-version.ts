import { createRequire } from 'node:module';

/** @headstart/core's version, the `meta.version` of the built-in loaders (package.json sits two levels above src/data and dist/data). */
export const LOADER_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
