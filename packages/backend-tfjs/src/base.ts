import { HeadstartError, type Availability, type Backend } from '@headstart/core';
import { chooseEngine, tfjsVersion, type EngineChoice } from './engine.js';
import { createTfjsModel } from './model.js';
import { VERSION } from './version.js';

export type { EngineName } from './engine.js';
export { LEAKY_RELU_SLOPE } from './activations.js';
export { VERSION } from './version.js';

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * Receives the one-time note that the native engine is missing or broken (tfjs-node); it is
   * also the first of `probe()`'s reasons. Default: printed to stderr when stderr is a terminal.
   * The engine is chosen once per process, so the first backend's `note` is the one called.
   */
  note?: (message: string) => void;
}

/**
 * The TensorFlow.js backend. Creating it has no side effects: the engine (tfjs-node when installed,
 * else the pure-JS cpu engine) is chosen on `probe()` or on the first `createModel()`.
 */
export function createTfjsBackend(options: TfjsBackendOptions = {}): Backend {
  const engine = (): Promise<EngineChoice> => chooseEngine(options.note);
  return {
    name: 'tfjs',
    meta: { version: VERSION, description: 'TensorFlow.js: tfjs-node when installed, else the pure-JS cpu engine' },
    probe: async () => availability(await engine()),
    async createModel(spec, weights, createOptions) {
      const choice = await engine();
      if (!choice.engine) throw new HeadstartError('NOT_SUPPORTED', `tfjs: no engine could start (${choice.reasons.join('; ')})`);
      return createTfjsModel(spec, weights, { engine: choice.engine, seed: createOptions?.seed });
    },
  };
}

function availability(choice: EngineChoice): Availability {
  return {
    available: choice.engine !== undefined,
    ...(choice.engine ? { engine: choice.engine } : {}),
    reasons: choice.reasons,
    details: { tfjsVersion: tfjsVersion() },
  };
}
