import {
  crossingsOf,
  HeadstartError,
  inferShapes,
  MODEL_INPUT,
  outputShape,
  specBetween,
  specInputs,
  validateSpec,
  withHeadUnits,
  type LayerInput,
  type LayerShapes,
  type ModelSpec,
} from '@headstart/core';

/** A spec cut in two at the head: the base (kept) and the head (replaced or retrained). */
export interface HeadSplit {
  /** Position of the first head layer in the topological order (a chain: its index in `spec.layers`). */
  index: number;
  /** The base alone: the spec's input, the nodes before the head. Undefined when the head is the whole model. */
  base?: ModelSpec | undefined;
  /** The head alone: input = the one value it takes from the base. */
  head: ModelSpec;
}

/**
 * Where the head starts, as a position in the topological order: `headLayer` when named, else the
 * last layer with parameters (the classifier of a usual network), so a trailing activation or
 * dropout stays in the head. The head is that layer and every node after it; it must take one value
 * alone from the base (a chain always does; a graph does at its single-value cuts).
 * @throws HeadstartError (USAGE) for an unknown layer, or a cut that more than one value crosses,
 * naming one and the nearest layers where a head could start.
 */
export function headIndex(spec: ModelSpec, headLayer?: string): number {
  const order = inferShapes(spec);
  const at = headLayer === undefined ? lastWithParameters(order) : positionOf(spec, order, headLayer);
  const crossing = crossingsOf(order, at);
  if (crossing.length > 1) {
    const what =
      headLayer === undefined
        ? `the default head (from "${order[at]!.layer.name}", the last layer with parameters)`
        : `--head ${headLayer}: the head`;
    const [first, ...others] = crossing.map(valueName);
    throw new HeadstartError(
      'USAGE',
      `${what} also takes ${others.join(', ')} from the base, besides ${first}; a head must take one value from the base${nearestCuts(order, at)}`,
    );
  }
  return at;
}

function positionOf(spec: ModelSpec, order: LayerShapes[], name: string): number {
  const at = order.findIndex((node) => node.layer.name === name);
  if (at < 0)
    throw new HeadstartError('USAGE', `--head ${name}: no such layer; the layers are ${spec.layers.map((l) => l.name).join(', ')}`);
  return at;
}

function lastWithParameters(order: LayerShapes[]): number {
  for (let i = order.length - 1; i >= 0; i--) if (order[i]!.parameters.length > 0) return i;
  throw new HeadstartError('USAGE', 'the model has no layer with parameters to serve as a head');
}

function valueName(name: string): string {
  return name === MODEL_INPUT ? 'the model input' : `"${name}"`;
}

/** `: try --head a or --head b`: the closest heads before and after `at` that one value feeds. */
function nearestCuts(order: LayerShapes[], at: number): string {
  const valid = (i: number): boolean => crossingsOf(order, i).length === 1;
  let before = at - 1;
  while (before > 0 && !valid(before)) before--;
  let after = at + 1;
  while (after < order.length && !valid(after)) after++;
  const names = [...(before > 0 ? [before] : []), ...(after < order.length ? [after] : [])].map((i) => `--head ${order[i]!.layer.name}`);
  return names.length > 0 ? `: try ${names.join(' or ')}` : '';
}

/** Cut `spec` at {@link headIndex}. */
export function splitAtHead(spec: ModelSpec, headLayer?: string): HeadSplit {
  const index = headIndex(spec, headLayer);
  return {
    index,
    ...(index > 0 ? { base: specBetween(spec, 0, index, 'the base below the head') } : {}),
    head: specBetween(spec, index, undefined, 'the head'),
  };
}

/** The head's layers, from its first (`headLayer`, else the default) on, in topological order. */
export function headLayers(spec: ModelSpec, headLayer?: string): string[] {
  return inferShapes(spec)
    .slice(headIndex(spec, headLayer))
    .map((node) => node.layer.name);
}

/**
 * The spec with its head sized for `classes` (core's {@link withHeadUnits}: the last dense layer
 * resized, ending in a softmax). Returns the spec and the names of the head's layers (whose
 * weights start fresh), the first head layer first. A spec with no dense layer after its opaque ONNX
 * block (a model ending in an op headstart cannot map, such as LogSoftmax, imports as the block alone)
 * gets a new dense head on top of the block's output instead, flattened first when it is not flat.
 */
export function withNewHead(spec: ModelSpec, classes: number, headLayer?: string): { spec: ModelSpec; headLayers: string[] } {
  if (headLayer === undefined && !denseAfterOpaqueBlock(spec)) return withAddedHead(spec, classes);
  const head = headLayers(spec, headLayer);
  const resized = withHeadUnits(spec, classes);
  if (!head.includes(resized.head))
    throw new HeadstartError('USAGE', `the head (from layer "${head[0]}") has no dense layer to size for ${classes} classes`);
  return { spec: resized.spec, headLayers: head };
}

/** False for a spec with an opaque ONNX block and no dense layer after it; true otherwise. */
function denseAfterOpaqueBlock(spec: ModelSpec): boolean {
  const block = spec.layers.findLastIndex((l) => l.type === 'onnx');
  return block < 0 || spec.layers.slice(block + 1).some((l) => l.type === 'dense');
}

/** `spec` with a flatten (when its output is not flat) and a dense softmax layer for `classes` appended. */
function withAddedHead(spec: ModelSpec, classes: number): { spec: ModelSpec; headLayers: string[] } {
  const taken = new Set(spec.layers.map((l) => l.name));
  const unique = (hint: string): string => {
    let name = hint;
    for (let i = 1; taken.has(name); i++) name = `${hint}_${i}`;
    taken.add(name);
    return name;
  };
  const added: LayerInput[] = [
    ...(outputShape(spec).length > 1 ? [{ type: 'flatten' as const, name: unique('head_flatten') }] : []),
    { type: 'dense', name: unique('head'), units: classes, activation: 'softmax' },
  ];
  return { spec: validateSpec({ ...specInputs(spec), layers: [...spec.layers, ...added] }), headLayers: added.map((l) => l.name) };
}

/** Whether two label maps are the same labels in the same order. */
export function sameLabels(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((label, i) => String(label) === String(b[i]));
}
