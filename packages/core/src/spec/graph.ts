import { SpecError } from '../errors.js';
import { layerTypeOf, type Layer } from './layer-types/index.js';
import type { ModelSpec } from './model-spec.js';

/** The name `inputs` uses for the model input (the first layer's input when it names none). */
export const MODEL_INPUT = 'input';

/** The names layers use for the model's inputs: the spec's named `inputs`, else {@link MODEL_INPUT}. */
export function modelInputNames(spec: Pick<ModelSpec, 'inputs'>): string[] {
  return spec.inputs ? spec.inputs.map((input) => input.name) : [MODEL_INPUT];
}

/** A layer of a spec with the names of the values it takes, resolved. */
export interface GraphNode {
  layer: Layer;
  /** Position in `spec.layers`. */
  index: number;
  /** Layer names, or model inputs ({@link modelInputNames}). */
  inputs: string[];
}

/** `layers[2] "conv1"`: how spec errors name a layer. */
export function whereIs(layer: Layer, index: number): string {
  return `layers[${index}] "${layer.name}"`;
}

/**
 * What a layer takes when it names no `inputs`: the layer listed before it (the first layer: the
 * model input, or the first of its named inputs).
 */
export function defaultInputs(spec: Pick<ModelSpec, 'layers' | 'inputs'>, index: number): string[] {
  return [index === 0 ? modelInputNames(spec)[0]! : spec.layers[index - 1]!.name];
}

/** The values a layer takes: its `inputs`, else {@link defaultInputs}. */
export function nodeInputs(spec: Pick<ModelSpec, 'layers' | 'inputs'>, index: number): string[] {
  return spec.layers[index]!.inputs ?? defaultInputs(spec, index);
}

/**
 * The spec's layers in a topological order (each after the layers it takes; among those free to go
 * next, the first listed, so a chain keeps its order), with their inputs resolved. The model output
 * is the last listed layer.
 * @throws SpecError naming the layer: a duplicate name, an input naming no layer, a wrong number of
 * inputs, a cycle, a layer whose output nothing takes, or a layer that must be first and is not.
 */
export function topologicalOrder(spec: ModelSpec): GraphNode[] {
  const indexOf = checkNames(spec);
  const nodes = spec.layers.map((layer, index) => ({ layer, index, inputs: nodeInputs(spec, index) }));
  const modelInputs = modelInputNames(spec);
  for (const node of nodes) spec.inputs ? checkNamedInputs(node, indexOf, modelInputs) : checkInputs(node, indexOf);
  const order = sortNodes(nodes, indexOf, modelInputs);
  checkAllUsed(nodes, spec.inputs ? modelInputs : []);
  return order;
}

function checkNames(spec: ModelSpec): Map<string, number> {
  const indexOf = new Map<string, number>();
  const modelInputs = spec.inputs ? modelInputNames(spec) : [];
  spec.layers.forEach((layer, index) => {
    const earlier = indexOf.get(layer.name);
    if (earlier !== undefined) throw new SpecError(`${whereIs(layer, index)}: name: already used by layers[${earlier}]`);
    if (modelInputs.includes(layer.name)) throw new SpecError(`${whereIs(layer, index)}: name: already the name of a model input`);
    indexOf.set(layer.name, index);
  });
  return indexOf;
}

/** A spec with named model inputs: every name a layer lists is a layer or one of them. */
function checkNamedInputs(node: GraphNode, indexOf: Map<string, number>, modelInputs: string[]): void {
  const where = whereIs(node.layer, node.index);
  for (const name of node.layer.inputs ?? []) {
    if (!modelInputs.includes(name) && !indexOf.has(name))
      throw new SpecError(`${where}: inputs: "${name}" names no layer nor model input (${modelInputs.join(', ')})`);
  }
  checkArity(node, where, modelInputs);
}

function checkInputs(node: GraphNode, indexOf: Map<string, number>): void {
  const { layer } = node;
  const where = whereIs(layer, node.index);
  for (const name of layer.inputs ?? []) {
    // A 0.1 spec may hold a layer named "input"; only a spec that also names inputs must tell them apart.
    if (name === MODEL_INPUT && indexOf.has(name)) {
      throw new SpecError(
        `${where}: inputs: "${MODEL_INPUT}" is ambiguous: it is the model input and the name of layers[${indexOf.get(name)}]; rename that layer`,
      );
    }
    if (name !== MODEL_INPUT && !indexOf.has(name))
      throw new SpecError(`${where}: inputs: "${name}" names no layer (nor "${MODEL_INPUT}", the model input)`);
  }
  checkArity(node, where, [MODEL_INPUT]);
}

function checkArity({ layer, index, inputs }: GraphNode, where: string, modelInputs: string[]): void {
  const type = layerTypeOf(layer);
  if (type.arity === 'one' && inputs.length !== 1)
    throw new SpecError(`${where}: inputs: ${layer.type} takes one input but inputs lists ${inputs.length} (${inputs.join(', ')})`);
  if (type.arity === 'merge' && inputs.length < 2) {
    throw new SpecError(
      `${where}: inputs: ${layer.type} needs at least 2 inputs but has ${inputs.length} (${inputs.join(', ')}); list them in inputs`,
    );
  }
  if (type.arity === 'masked' && (inputs.length < 1 || inputs.length > 2)) {
    throw new SpecError(
      `${where}: inputs: ${layer.type} takes a value and optionally its mask, but inputs lists ${inputs.length} (${inputs.join(', ')})`,
    );
  }
  if (type.onlyFirst !== undefined && (index > 0 || !modelInputs.includes(inputs[0]!)))
    throw new SpecError(`${where}: type: ${type.onlyFirst}`);
}

function sortNodes(nodes: GraphNode[], indexOf: Map<string, number>, modelInputs: string[]): GraphNode[] {
  const done = new Set<string>(modelInputs);
  const order: GraphNode[] = [];
  const waiting = [...nodes];
  while (waiting.length > 0) {
    const next = waiting.findIndex((node) => node.inputs.every((name) => done.has(name)));
    if (next < 0) throw cycleError(waiting, indexOf);
    const [node] = waiting.splice(next, 1);
    order.push(node!);
    done.add(node!.layer.name);
  }
  return order;
}

/** Every layer left waiting takes, directly or not, a layer on a cycle: walk its inputs to find one. */
function cycleError(waiting: GraphNode[], indexOf: Map<string, number>): SpecError {
  const byName = new Map(waiting.map((node) => [node.layer.name, node]));
  const path: GraphNode[] = [];
  let node = waiting[0]!;
  while (!path.includes(node)) {
    path.push(node);
    node = byName.get(node.inputs.find((name) => byName.has(name))!)!;
  }
  const [start, ...rest] = [...path.slice(path.indexOf(node)), node].map((n) => `"${n.layer.name}"`);
  const cycle = `${start} takes ${rest.join(', which takes ')}`;
  return new SpecError(
    `${whereIs(node.layer, indexOf.get(node.layer.name)!)}: inputs: a cycle: ${cycle}; a layer cannot take its own output`,
  );
}

function checkAllUsed(nodes: GraphNode[], modelInputs: string[]): void {
  const used = new Set(nodes.flatMap((node) => node.inputs));
  const idle = modelInputs.find((name) => !used.has(name));
  if (idle !== undefined) throw new SpecError(`inputs: no layer takes the model input "${idle}"; list it in a layer's inputs or remove it`);
  const unused = nodes.slice(0, -1).find((node) => !used.has(node.layer.name));
  if (unused) {
    throw new SpecError(
      `${whereIs(unused.layer, unused.index)}: no layer takes its output, and only the last layer gives the model output; use it in a later layer's inputs or remove it`,
    );
  }
}
