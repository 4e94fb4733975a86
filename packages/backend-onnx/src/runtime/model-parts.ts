import type { ModelSpec } from '@headstart/core';
import type { ParameterStore } from './parameter-store.js';
import type { SessionSettings } from './session.js';

/** What a model shares with its trainers. */
export interface ModelParts {
  spec: ModelSpec;
  params: ParameterStore;
  session: SessionSettings;
  /** Values per output sample. */
  outputSize: number;
  /** Default seed of dropout masks. */
  seed: number;
}
