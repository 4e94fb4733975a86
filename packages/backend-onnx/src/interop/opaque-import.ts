import { HeadstartError, validateSpec, type LayerInput, type ModelSpec, type NamedTensors, type OnnxLayer } from '@headstart/core';
import { Constants } from './onnx-constants.js';
import {
  graphInput,
  mapGraph,
  nodeName,
  recordConstant,
  type UnmappableNode,
  type GraphInput,
  type GraphMapper,
} from './onnx-graph-mapper.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/onnx-proto.js';
import { rewriteGraph } from '../onnx/onnx-wire.js';
import type { OrtModule } from '../runtime/runtime.js';
import { baseSessionOptions } from '../runtime/session.js';

/** Name of the layer holding the opaque part of an imported model. */
export const OPAQUE_BASE_NAME = 'base';

/** A place to cut the graph: after node `index`, where `value` is the only value crossing. */
interface Cut {
  index: number;
  value: string;
}

/** A cut whose value onnxruntime computed: its ONNX dims (batch first) and channels-last sample shape. */
interface ShapedCut extends Cut {
  dims: number[];
  shape: number[];
}

/**
 * Import a model that does not map to layers whole: the nodes up to a cut become one opaque ONNX
 * block (layer {@link OPAQUE_BASE_NAME}) and the nodes after it map to ordinary layers, so a new head
 * can be cut and trained on the block as a frozen base. The cut is the earliest one after `failure`
 * (the first node without a headstart layer) where a single value crosses from the nodes before to
 * the nodes after and those nodes map; when none does, the whole model is the block. onnxruntime runs
 * the model once on zeros to learn the shape of each candidate value.
 * @throws HeadstartError (NOT_SUPPORTED) when the model has several outputs or no float output per sample,
 * or when onnxruntime cannot load or run it (an op it has no kernel for).
 */
export async function importWithOpaqueBase(
  file: string,
  bytes: Uint8Array,
  model: ModelProto,
  failure: UnmappableNode,
  ort: OrtModule,
): Promise<{ spec: ModelSpec; weights: NamedTensors }> {
  const graph = model.graph!;
  const input = graphInput(file, graph);
  if (graph.output?.length !== 1)
    throw new HeadstartError('NOT_SUPPORTED', `${file}: expected one output, found ${graph.output?.length ?? 0}`);
  const candidates = await shapeCuts(
    ort,
    bytes,
    graph,
    input,
    singleValueCuts(graph, input.name).filter((c) => c.index >= failure.index),
  ).catch((cause: unknown) => {
    // onnxruntime cannot run the model either (an op it has no kernel for): say so in one line, naming the node.
    const firstLine = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.trim();
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${failure.message}; onnxruntime cannot run the model as an opaque block either: ${firstLine}`,
      { cause },
    );
  });
  const last = candidates[candidates.length - 1];
  if (last?.value !== graph.output[0]!.name)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: output "${graph.output[0]!.name}" is not a float tensor with a batch axis first, which headstart needs`,
    );
  // The earliest cut whose tail maps; else the whole model, the file itself, is the block.
  const initializers = Constants.of(graph);
  let chosen: { cut: ShapedCut; tail?: GraphMapper | undefined; bytes: Uint8Array } = { cut: last, bytes };
  for (const cut of candidates.slice(0, -1)) {
    const tail = tryTail(file, graph, initializers, cut);
    if (!tail) continue;
    chosen = { cut, tail, bytes: prefixModel(bytes, graph, input, cut) };
    break;
  }
  const layer: OnnxLayer = {
    type: 'onnx',
    name: OPAQUE_BASE_NAME,
    inputShape: input.shape,
    outputShape: chosen.cut.shape,
    graphBytes: chosen.bytes.length,
    unsupported: { op: failure.node.opType, node: nodeName(failure.node), reason: failure.why },
  };
  const graphTensor = { shape: [chosen.bytes.length], data: Float32Array.from(chosen.bytes) };
  const weights: NamedTensors = new Map([[`${OPAQUE_BASE_NAME}.graph`, graphTensor], ...(chosen.tail?.weights ?? [])]);
  const layers: LayerInput[] = [layer, ...(chosen.tail?.layers ?? [])];
  return { spec: validateSpec({ inputShape: input.shape, layers }, file), weights };
}

/** The nodes after `cut` as layers, or undefined when they do not map. */
function tryTail(file: string, graph: GraphProto, initializers: Constants, cut: ShapedCut): GraphMapper | undefined {
  // The tail may read constants that Constant nodes before the cut made.
  const constants = initializers.copy();
  for (const node of (graph.node ?? []).slice(0, cut.index + 1)) recordConstant(constants, node);
  try {
    return mapGraph({
      file,
      graph,
      constants,
      from: { value: cut.value, layer: OPAQUE_BASE_NAME, shape: cut.shape },
      firstNode: cut.index + 1,
    });
  } catch (error) {
    if (error instanceof HeadstartError && error.code === 'NOT_SUPPORTED') return undefined;
    throw error;
  }
}

/**
 * Every cut after which exactly one computed value (not a weight or a Constant node's output) is
 * still needed by a later node or is the graph's output, in node order.
 */
export function singleValueCuts(graph: GraphProto, inputName: string): Cut[] {
  const nodes = graph.node ?? [];
  const constants = new Set([
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...nodes.filter((n) => n.opType === 'Constant').flatMap((n) => n.output),
  ]);
  const lastUse = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const name of valuesRead(node)) if (!constants.has(name)) lastUse.set(name, index);
  });
  for (const output of graph.output ?? []) lastUse.set(output.name, nodes.length);
  const live = new Set<string>();
  if ((lastUse.get(inputName) ?? -1) >= 0) live.add(inputName);
  const cuts: Cut[] = [];
  nodes.forEach((node, index) => {
    for (const name of node.output) if (name && !constants.has(name) && (lastUse.get(name) ?? -1) > index) live.add(name);
    for (const name of [...live]) if (lastUse.get(name)! <= index) live.delete(name);
    if (live.size === 1) cuts.push({ index, value: [...live][0]! });
  });
  return cuts;
}

/** Every value a node reads, its subgraphs' reads of outer values included. */
function valuesRead(node: NodeProto): string[] {
  const names = node.input.filter((name) => name !== '');
  for (const a of node.attribute ?? [])
    for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) for (const inner of g.node ?? []) names.push(...valuesRead(inner));
  return names;
}

/**
 * Run the model once on zeros with every candidate as an extra output, keeping the candidates that
 * are float tensors with the batch axis first, with their channels-last sample shapes.
 */
async function shapeCuts(ort: OrtModule, bytes: Uint8Array, graph: GraphProto, input: GraphInput, cuts: Cut[]): Promise<ShapedCut[]> {
  if (cuts.length === 0) return [];
  const names = [...new Set(cuts.map((c) => c.value))];
  const probe = rewriteGraph(bytes, graph, {
    node: () => true,
    initializer: () => true,
    input: () => true,
    valueInfo: () => true,
    outputs: names.map((name) => ({ name })),
  });
  const session = await ort.InferenceSession.create(probe, baseSessionOptions());
  try {
    const batch = input.fixedBatch ?? 1;
    const dims = input.shape.length === 3 ? [batch, input.shape[2]!, input.shape[0]!, input.shape[1]!] : [batch, ...input.shape];
    const values = await session.run({ [input.name]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, d) => a * d, 1)), dims) });
    return cuts.flatMap((cut) => {
      const value = values[cut.value];
      const d = value?.dims.map(Number) ?? [];
      if (value?.type !== 'float32' || d.length < 2 || d[0] !== batch || d.some((x) => !(x > 0))) return [];
      const shape = d.length === 4 ? [d[2]!, d[3]!, d[1]!] : d.slice(1);
      return [{ ...cut, dims: d, shape }];
    });
  } finally {
    await session.release();
  }
}

/** The model cut down to the nodes up to `cut`, with `cut.value` as its one output. */
function prefixModel(bytes: Uint8Array, graph: GraphProto, input: GraphInput, cut: ShapedCut): Uint8Array {
  const nodes = (graph.node ?? []).slice(0, cut.index + 1);
  const read = new Set(nodes.flatMap(valuesRead));
  const produced = new Set(nodes.flatMap((n) => n.output));
  const keptInitializers = new Set((graph.initializer ?? []).map((t) => t.name ?? '').filter((name) => read.has(name)));
  const batch = input.fixedBatch !== undefined ? { dimValue: input.fixedBatch } : { dimParam: 'N' };
  const output: ValueInfoProto = {
    name: cut.value,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [batch, ...cut.dims.slice(1).map((d) => ({ dimValue: d }))] } } },
  };
  return rewriteGraph(bytes, graph, {
    node: (index) => index <= cut.index,
    initializer: (name) => keptInitializers.has(name),
    input: (name) => name === input.name || keptInitializers.has(name),
    valueInfo: (name) => produced.has(name),
    outputs: [output],
  });
}
