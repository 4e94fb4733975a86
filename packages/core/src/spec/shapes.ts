import { SpecError } from '../errors.js';
import { topologicalOrder, MODEL_INPUT, whereIs } from './graph.js';
import { layerTypeOf, type Layer } from './layer-types/index.js';
import type { LayerTypeShapes } from './layer-types/layer-type.js';
import type { ModelSpec } from './model-spec.js';
import type { ParameterShape } from './parameter-shape.js';

export type { ParameterRole, ParameterShape } from './parameter-shape.js';

/** The shapes flowing through one layer, and the parameters it owns. */
export interface LayerShapes {
  layer: Layer;
  /** Position in `spec.layers`. */
  index: number;
  /** The names of the values it takes: layers, or `input` (the model input). */
  inputs: string[];
  /** The shape of each of `inputs`. */
  inputShapes: number[][];
  /** The shape of its first (for all but merges, its only) input. */
  inputShape: number[];
  outputShape: number[];
  parameters: ParameterShape[];
}

/**
 * Walk the spec's graph from its input shape in topological order (a chain: the order of its
 * layers), computing each layer's input and output shapes and parameters.
 * @throws SpecError naming the layer: a duplicate name, an input naming no layer, a cycle, a layer
 * whose output nothing takes, a merge with fewer than two inputs, or a layer that does not fit the
 * shapes it receives.
 */
export function inferShapes(spec: ModelSpec): LayerShapes[] {
  const modelInputs = spec.inputs ?? [{ name: MODEL_INPUT, shape: spec.inputShape, dtype: 'float32' as const }];
  const shapes = new Map<string, number[]>(modelInputs.map((input) => [input.name, [...input.shape]]));
  const ids = new Set(modelInputs.filter((input) => input.dtype === 'int32').map((input) => input.name));
  return topologicalOrder(spec).map(({ layer, index, inputs }) => {
    const inputShapes = inputs.map((name) => shapes.get(name)!);
    checkValueKind(layer, inputs[0]!, ids.has(inputs[0]!), whereIs(layer, index));
    const result = nodeShapes(layer, inputs, inputShapes, whereIs(layer, index));
    shapes.set(layer.name, result.outputShape);
    return { layer, index, inputs, inputShapes, inputShape: inputShapes[0]!, ...result };
  });
}

/** Every parameter of the spec, in the order its layers are listed (the checkpoint order). */
export function parameterShapes(spec: ModelSpec): ParameterShape[] {
  return inferShapes(spec)
    .sort((a, b) => a.index - b.index)
    .flatMap((l) => l.parameters);
}

/** The shape of one output sample: the last layer's output. */
export function outputShape(spec: ModelSpec): number[] {
  const all = inferShapes(spec);
  return all.find((l) => l.index === spec.layers.length - 1)!.outputShape;
}

/** Token ids (an `int32` model input) go into an embedding, and an embedding takes nothing else. */
function checkValueKind(layer: Layer, first: string, isIds: boolean, where: string): void {
  const takesIds = layerTypeOf(layer).takesIds === true;
  if (takesIds && !isIds)
    throw new SpecError(`${where}: inputs: ${layer.type} takes token ids (an int32 model input) but "${first}" gives float values`);
  if (!takesIds && isIds)
    throw new SpecError(
      `${where}: inputs: ${layer.type} takes float values but "${first}" is an int32 model input; put an embedding before it`,
    );
}

function nodeShapes(layer: Layer, inputs: string[], inputShapes: number[][], where: string): LayerTypeShapes {
  const type = layerTypeOf(layer);
  if (type.arity === 'merge')
    return type.shapes(
      layer as never,
      inputs.map((name, i) => ({ name, shape: inputShapes[i]! })),
      where,
    );
  if (type.arity === 'masked') {
    const mask = inputs[1] === undefined ? undefined : { name: inputs[1], shape: inputShapes[1]! };
    return type.shapes(layer as never, inputShapes[0]!, mask, where);
  }
  // The graph walk has checked that a single-input layer has exactly one.
  return type.shapes(layer as never, inputShapes[0]!, where);
}
