import { MODEL_INPUT } from './graph.js';
import type { Layer } from './layer-types/index.js';
import { validateSpec, type ModelSpec } from './model-spec.js';
import { inferShapes, type LayerShapes } from './shapes.js';

/**
 * The values crossing a cut of the spec's topological order (as {@link inferShapes} gives it) just
 * before position `at`: the outputs of nodes before `at` — or {@link MODEL_INPUT} — that a node at
 * `at` or after takes, in the order those nodes first take them. A chain has one at every position.
 */
export function crossingValues(spec: ModelSpec, at: number): string[] {
  return crossingsOf(inferShapes(spec), at);
}

/** {@link crossingValues} on nodes already in topological order. */
export function crossingsOf(order: readonly LayerShapes[], at: number): string[] {
  const nodes = new Set(order.map((node) => node.layer.name));
  // Model inputs (`input`, or a spec's named inputs) are what nodes take and no node gives.
  const modelInputs = order.flatMap((node) => node.inputs.filter((name) => !nodes.has(name)));
  const before = new Set([MODEL_INPUT, ...modelInputs, ...order.slice(0, at).map((node) => node.layer.name)]);
  const crossing = new Set<string>();
  for (const node of order.slice(at)) for (const name of node.inputs) if (before.has(name)) crossing.add(name);
  return [...crossing];
}

/**
 * Positions of the topological order where one value alone crosses (see {@link crossingValues}):
 * the places a graph can be cut into a base and a top joined by a single tensor. Position 0 (the
 * model input) is always one; a chain has every position.
 */
export function singleValueCuts(spec: ModelSpec): number[] {
  const order = inferShapes(spec);
  return order.map((_, at) => at).filter((at) => crossingsOf(order, at).length === 1);
}

/**
 * The part of `spec` between two single-value cuts, as a spec of its own: the nodes at topological
 * positions `from` (inclusive) to `to` (exclusive, default: the end), taking as their `input` the one
 * value crossing at `from`, giving as their output the one value crossing at `to` (at the end: the
 * model output). Layers keep their names and their order in `spec.layers` (the output node last), so
 * parameters keep their names and order.
 * @throws Error when a cut is not a single value (callers check with {@link crossingValues} first).
 */
export function specBetween(spec: ModelSpec, from: number, to?: number, source = 'model spec'): ModelSpec {
  const order = inferShapes(spec);
  const end = to ?? order.length;
  const output = end === order.length ? spec.layers.at(-1)!.name : onlyValue(order, end);
  const nodes = order
    .slice(from, end)
    .sort((a, b) => Number(a.layer.name === output) - Number(b.layer.name === output) || a.index - b.index);
  // From the model input on, the part keeps the spec's inputs (a spec's named inputs keep their names).
  if (from === 0) return validateSpec({ ...specInputs(spec), layers: nodes.map((node) => withInputs(node.layer, node.inputs)) }, source);
  const input = onlyValue(order, from);
  const inputShape = order.find((node) => node.layer.name === input)!.outputShape;
  const layers = nodes.map((node) =>
    withInputs(
      node.layer,
      node.inputs.map((name) => (name === input ? MODEL_INPUT : name)),
    ),
  );
  return validateSpec({ inputShape, layers }, source);
}

/**
 * `upper` on top of `lower`: one spec whose layers are `lower`'s then `upper`'s, `upper`'s input
 * being `lower`'s output (its last layer).
 * @throws SpecError for a name both use, or when `upper` does not fit `lower`'s output.
 */
export function stackSpecs(lower: ModelSpec, upper: ModelSpec, source = 'model spec'): ModelSpec {
  const joint = lower.layers.at(-1)!.name;
  const layers = upper.layers.map((layer) =>
    layer.inputs
      ? withInputs(
          layer,
          layer.inputs.map((name) => (name === MODEL_INPUT ? joint : name)),
        )
      : layer,
  );
  return validateSpec({ ...specInputs(lower), layers: [...lower.layers, ...layers] }, source);
}

/** What a spec takes: its `inputShape`, and its named `inputs` when it has them (keep both when rebuilding a spec). */
export function specInputs(spec: ModelSpec): Pick<ModelSpec, 'inputShape' | 'inputs'> {
  return spec.inputs ? { inputShape: spec.inputShape, inputs: spec.inputs } : { inputShape: spec.inputShape };
}

function onlyValue(order: readonly LayerShapes[], at: number): string {
  const crossing = crossingsOf(order, at);
  if (crossing.length !== 1)
    throw new Error(`a cut at position ${at} is crossed by ${crossing.length} values (${crossing.join(', ')}), not one`);
  return crossing[0]!;
}

/** `layer` taking `inputs` (validateSpec drops them again where they are the default). */
function withInputs(layer: Layer, inputs: string[]): Layer {
  return { ...layer, inputs } as Layer;
}
