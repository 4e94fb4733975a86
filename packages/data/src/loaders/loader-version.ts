import { createRequire } from 'node:module';

/** @headstart/data's version, the `meta.version` of its loaders (package.json sits two levels above src/loaders and dist/loaders). */
export const LOADER_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
