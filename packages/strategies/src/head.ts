import { HeadstartError, inferShapes, outputShape, validateSpec, withHeadUnits, type LayerInput, type ModelSpec } from '@headstart/core';

/** A spec cut in two at the head: the base (kept) and the head (replaced or retrained). */
export interface HeadSplit {
  /** Index of the first head layer. */
  index: number;
  /** The base alone: the spec's input, the layers before the head. Undefined when the head is the whole model. */
  base?: ModelSpec;
  /** The head alone: input = the base's output shape. */
  head: ModelSpec;
}

/**
 * Where the head starts: `headLayer` when named, else the last layer with parameters (the
 * classifier of a usual network), so a trailing activation or dropout stays in the head.
 */
export function headIndex(spec: ModelSpec, headLayer?: string): number {
  if (headLayer !== undefined) {
    const index = spec.layers.findIndex((l) => l.name === headLayer);
    if (index < 0)
      throw new HeadstartError('USAGE', `--head ${headLayer}: no such layer; the layers are ${spec.layers.map((l) => l.name).join(', ')}`);
    return index;
  }
  const shapes = inferShapes(spec);
  for (let i = shapes.length - 1; i >= 0; i--) if (shapes[i]!.parameters.length > 0) return i;
  throw new HeadstartError('USAGE', 'the model has no layer with parameters to serve as a head');
}

/** Cut `spec` at {@link headIndex}. */
export function splitAtHead(spec: ModelSpec, headLayer?: string): HeadSplit {
  const index = headIndex(spec, headLayer);
  const shapes = inferShapes(spec);
  const baseOutput = index === 0 ? spec.inputShape : shapes[index - 1]!.outputShape;
  return {
    index,
    ...(index > 0 ? { base: validateSpec({ inputShape: spec.inputShape, layers: spec.layers.slice(0, index) }) } : {}),
    head: validateSpec({ inputShape: baseOutput, layers: spec.layers.slice(index) }),
  };
}

/**
 * The spec with its head sized for `classes` (core's {@link withHeadUnits}: the last dense layer
 * resized, ending in a softmax). Returns the spec and the names of the head's layers (whose
 * weights start fresh). A spec with no dense layer after its opaque ONNX block (a model ending in an
 * op headstart cannot map, such as LogSoftmax, imports as the block alone) gets a new dense head on
 * top of the block's output instead, flattened first when it is not flat.
 */
export function withNewHead(spec: ModelSpec, classes: number, headLayer?: string): { spec: ModelSpec; headLayers: string[] } {
  if (headLayer === undefined && !denseAfterOpaqueBlock(spec)) return withAddedHead(spec, classes);
  const index = headIndex(spec, headLayer);
  const resized = withHeadUnits(spec, classes);
  if (spec.layers.findIndex((l) => l.name === resized.head) < index) {
    throw new HeadstartError(
      'USAGE',
      `the head (from layer "${spec.layers[index]!.name}") has no dense layer to size for ${classes} classes`,
    );
  }
  return { spec: resized.spec, headLayers: spec.layers.slice(index).map((l) => l.name) };
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
  return { spec: validateSpec({ inputShape: spec.inputShape, layers: [...spec.layers, ...added] }), headLayers: added.map((l) => l.name) };
}

/** Whether two label maps are the same labels in the same order. */
export function sameLabels(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((label, i) => String(label) === String(b[i]));
}
