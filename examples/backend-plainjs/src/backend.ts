import {
  createRng,
  initializeWeights,
  requireChain,
  requireNoSequences,
  validateSpec,
  type Availability,
  type Backend,
} from '@headstart/core';
import { givenWeights } from '@headstart/core/backend-kit';
import { PlainJsModel } from './model.js';
import { exportPlainJson, importPlainJson, PLAIN_JSON_FORMAT } from './plain-json-format.js';
import { BACKEND_NAME } from './unsupported.js';
import { VERSION } from './version.js';

/**
 * The plainjs backend: models computed by loops over typed arrays in plain JavaScript (float64
 * arithmetic, float32 parameters), with analytic gradients. No native module, no WebAssembly, no
 * dependency but `@headstart/core`, so it runs wherever Node runs. It declares one model format of
 * its own, `plainjs-json` (`.plain.json`, see {@link PLAIN_JSON_FORMAT}), which it imports and exports:
 * the example of a third-party format that `headstart import`, `export` and `train --from` find.
 */
export function createPlainJsBackend(): Backend {
  return {
    name: BACKEND_NAME,
    meta: {
      version: VERSION,
      description: 'plain JavaScript: dense, conv and pooling networks with analytic gradients; no native code or WebAssembly',
    },
    probe: async () => probePlainJs(),
    async createModel(spec, weights, options) {
      const valid = validateSpec(spec);
      requireChain(valid, BACKEND_NAME);
      requireNoSequences(valid, BACKEND_NAME);
      const seed = options?.seed ?? 0;
      const model = new PlainJsModel(valid, initializeWeights(valid, createRng(seed)), seed);
      const given = givenWeights(valid, weights, options?.fresh);
      if (given) await model.setWeights(given);
      return model;
    },
    formats: [PLAIN_JSON_FORMAT],
    importModel: (file) => importPlainJson(file),
    exportModel: (model, format, file) => exportPlainJson(model, format, file),
  };
}

/**
 * plainjs needs nothing but the JavaScript engine, so it is available wherever this module loaded. It
 * reads no Node built-in, so it also loads where there are none (an edge runtime, a browser).
 */
export function probePlainJs(): Availability {
  const node = (globalThis as { process?: { versions?: { node?: string | undefined } } }).process?.versions?.node;
  return {
    available: true,
    engine: 'js',
    reasons: ['plain JavaScript: needs no native module or WebAssembly'],
    details: { runtime: node ? `node ${node}` : 'JavaScript', arithmetic: 'float64 compute, float32 parameters', threads: 1 },
  };
}
