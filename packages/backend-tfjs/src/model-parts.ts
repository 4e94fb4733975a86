import type { ModelSpec } from '@headstart/core';
import type { EngineName } from './engine/engine.js';
import type { CompiledForward } from './forward.js';
import type { ParameterStore } from './parameters.js';

/** What a trainer needs of a live model. */
export interface ModelParts {
  spec: ModelSpec;
  params: ParameterStore;
  compiled: CompiledForward;
  /** Shape of one output sample. */
  outputShape: number[];
  /** The seed the model was created with; the default seed of dropout masks. */
  seed: number;
  /** The engine its variables live on; select it (`selectEngine`) before computing. */
  engine: EngineName;
}
