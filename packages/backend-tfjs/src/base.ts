import { firstSequenceFeature, HeadstartError, validateSpec, type Availability, type Backend } from '@headstart/core';
import { givenWeights } from '@headstart/core/backend-kit';
import { engineFor, selectEngine, startEngines, tfjsVersion, type EngineSet } from './engine/engine.js';
import { exportGraphModel } from './interop/graph-model-export.js';
import { exportLayersModel } from './interop/layers-model-export.js';
import { LAYERS_MODEL_FORMAT } from './interop/layers-model-format.js';
import { importLayersModel } from './interop/layers-model-import.js';
import { createTfjsModel } from './model.js';
import { checkNoOpaqueBlocks } from './opaque-blocks.js';
import { VERSION } from './version.js';

export type { EngineName } from './engine/engine.js';
export { ENGINE_VARIABLE } from './engine/engine.js';
export { LEAKY_RELU_SLOPE } from './layers/activations.js';
export { SPEC_METADATA_KEY } from './interop/layers-model-export.js';
export { LAYERS_MODEL_FORMAT } from './interop/layers-model-format.js';
export { VERSION } from './version.js';

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * Receives the one-time note that the native engine is missing or broken (tfjs-node); it is
   * also the first of `probe()`'s reasons. Default: printed to stderr when stderr is a terminal.
   * The engines start once per process, so the first backend's `note` is the one called.
   */
  note?: ((message: string) => void) | undefined;
}

/**
 * The TensorFlow.js backend. Creating it has no side effects: the engines start on `probe()` or on
 * the first `createModel()`. Each model then runs on tfjs-node when it is installed, else on the wasm
 * engine when that has every kernel training the model needs (not convolution gradients), else on
 * the pure-JS cpu engine; `Model.engine` says which (`tfjs/wasm`). It imports and exports tfjs layers
 * models (`model.json` and weight shards), the format `tf.loadLayersModel` reads; a model with named
 * inputs or sequence layers (a text encoder) it exports as a graph model, which `tf.loadGraphModel` reads.
 */
export function createTfjsBackend(options: TfjsBackendOptions = {}): Backend {
  const engines = (): Promise<EngineSet> => startEngines(options.note);
  return {
    name: 'tfjs',
    meta: {
      version: VERSION,
      description: 'TensorFlow.js: tfjs-node when installed, else wasm for each model it can train, else the pure-JS cpu engine',
    },
    probe: async () => availability(await engines()),
    async createModel(spec, weights, createOptions) {
      checkNoOpaqueBlocks(spec);
      const given = givenWeights(validateSpec(spec), weights, createOptions?.fresh);
      const set = await engines();
      if (set.started.length === 0) throw new HeadstartError('NOT_SUPPORTED', `tfjs: no engine could start (${set.reasons.join('; ')})`);
      const { engine } = engineFor(set, validateSpec(spec));
      return createTfjsModel(spec, given, { engine, seed: createOptions?.seed });
    },
    formats: [LAYERS_MODEL_FORMAT],
    importModel: (file) => importLayersModel(file),
    async exportModel(model, format, file) {
      checkNoOpaqueBlocks(model.spec);
      // Named inputs and sequence layers have no Keras layers tfjs-layers can load: such a model is written as a graph model.
      if (firstSequenceFeature(model.spec)) {
        await exportGraphModel(model, format, file);
        return { description: 'graph model; load it with tf.loadGraphModel' };
      }
      const set = await engines();
      if (set.started.length === 0) throw new HeadstartError('NOT_SUPPORTED', `tfjs: no engine could start (${set.reasons.join('; ')})`);
      // Building the tf.LayersModel needs only forward kernels, which every engine has.
      selectEngine(set.started[0]!);
      await exportLayersModel(model, format, file);
    },
  };
}

/**
 * `engine` names the engines models may run on (`wasm+cpu`): which one a model takes depends on its
 * layers, and each model's `engine` says it. The reasons say why each engine was taken or skipped.
 */
function availability(set: EngineSet): Availability {
  return {
    available: set.started.length > 0,
    ...(set.started.length > 0 ? { engine: set.started.join('+') } : {}),
    reasons: set.reasons,
    details: { tfjsVersion: tfjsVersion() },
  };
}
