import { HeadstartError } from '../errors.js';
import { defaultInputs } from './graph.js';
import type { Layer } from './layer-types/index.js';
import { MERGE_LAYER_TYPES } from './layer-types/index.js';
import type { ModelSpec } from './model-spec.js';

/**
 * The first layer that makes the spec a graph rather than a chain: a merge (`add`, `concat`), or a
 * layer whose `inputs` are not just the layer before it. Undefined for a chain.
 */
export function firstGraphLayer(spec: ModelSpec): Layer | undefined {
  return spec.layers.find(
    (layer, index) =>
      MERGE_LAYER_TYPES.includes(layer.type) || (layer.inputs !== undefined && layer.inputs.join() !== defaultInputs(spec, index).join()),
  );
}

/** Whether every layer takes the one listed before it (the first: the model input), with no merges. */
export function isChain(spec: ModelSpec): boolean {
  return firstGraphLayer(spec) === undefined;
}

/**
 * For a backend that runs chains of layers only.
 * @throws HeadstartError (`NOT_SUPPORTED`, a user error) naming the first layer that makes `spec` a graph.
 */
export function requireChain(spec: ModelSpec, backend: string): void {
  const layer = firstGraphLayer(spec);
  if (layer)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": graph models (add, concat, branches) are not supported by the ${backend} backend yet`,
    );
}
