import {
  HeadstartError,
  MODEL_INPUT,
  outputShape,
  validateSpec,
  type LayerInput,
  type ModelSpec,
  type NamedTensors,
} from '@headstart/core';
import { Constants, type Constant } from './onnx-constants.js';
import { LayerNames } from './onnx-layer-names.js';
import { mapNode } from './onnx-node-map.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto } from '../onnx/onnx-proto.js';
import { encoderInputs, type TokenInput } from './onnx-encoder-inputs.js';
import { GraphIndex } from './onnx-graph-index.js';
import { applyPatterns, type Pattern } from './onnx-patterns.js';
import { attentionBlock } from './pattern-attention.js';
import { erfGelu } from './pattern-gelu.js';
import { decomposedLayerNorm } from './pattern-layer-norm.js';
import { maskedMeanPool } from './pattern-mean-pool.js';

/** A node that has no headstart layer, and why. */
export class UnmappableNode extends HeadstartError {
  constructor(
    file: string,
    readonly node: NodeProto,
    readonly why: string,
    readonly index = -1,
  ) {
    super('NOT_SUPPORTED', `${file}: node "${nodeName(node)}" (op ${node.opType}) cannot be mapped to a headstart layer: ${why}`);
  }

  /** The same error, knowing where the node is in the graph. */
  at(file: string, index: number): UnmappableNode {
    return new UnmappableNode(file, this.node, this.why, index);
  }
}

/** A node's name, or its first output when it has none. */
export function nodeName(node: NodeProto): string {
  return node.name || node.output[0] || '(unnamed)';
}

/** An ONNX value computed by the layers mapped so far. */
export interface MappedValue {
  /** The layer that computes it, or the value the mapping starts from ({@link MODEL_INPUT}, or an opaque block). */
  layer: string;
  /** Its channels-last sample shape. */
  shape: number[];
  /** Set for an NCHW image `[C, H, W]` flattened in PyTorch's C,H,W order: a dense layer reading it reorders its rows. */
  flattenedImage?: [number, number, number] | undefined;
  /** Set for a global average pool's output: `[N, C, 1, 1]` in ONNX, `[C]` here, so a Flatten of it is itself. */
  pooled?: boolean | undefined;
  /** A constant row still to add to every token (BERT's token type embedding of type 0), which the position embedding after it takes. */
  rowBias?: Float32Array | undefined;
}

/** Rows of a stored embedding table the graph gathers with indices it does not compute from data. */
export type TableRows =
  /** Rows 0, 1, … T − 1: the position embeddings of a sequence. */
  | { kind: 'positions'; table: Constant }
  /** One row for every token (token type ids all equal). */
  | { kind: 'row'; row: Float32Array };

/** What a value carries beyond its layer and shape. */
export type ValueLayout = Pick<MappedValue, 'flattenedImage' | 'pooled'>;

/**
 * Maps ONNX nodes onto headstart layers, a graph of them: each value the nodes compute is known by
 * the layer computing it and the channels-last shape it has in the spec being built. Layers are
 * listed in node order and name their `inputs` only where they are not the layer listed before.
 */
export class GraphMapper {
  readonly layers: LayerInput[] = [];
  readonly weights: NamedTensors = new Map();
  /** Gathered table rows by value name (see {@link TableRows}). */
  readonly tables = new Map<string, TableRows>();
  /** The node computing each value of the graph, for ops that look at how an index was made. */
  readonly producers = new Map<string, NodeProto>();
  private readonly values = new Map<string, MappedValue>();
  /** The ONNX value each layer computes (before an activation fused into it). */
  private readonly outputOf = new Map<string, string>();
  private readonly names: LayerNames;
  private lastListed: string;

  constructor(
    readonly file: string,
    readonly constants: Constants,
    from: { value: string; layer: string; shape: number[] },
    /** How many nodes (and graph outputs) read each value. */
    private readonly readers: ReadonlyMap<string, number>,
    reserved: readonly string[] = [],
  ) {
    this.values.set(from.value, { layer: from.layer, shape: from.shape });
    this.lastListed = from.layer;
    this.names = new LayerNames([MODEL_INPUT, from.layer, ...reserved]);
  }

  /** The spec, for a mapping from the model input. */
  spec(inputShape: number[]): ModelSpec {
    return validateSpec({ inputShape, layers: this.layers }, this.file);
  }

  /** One more model input the layers may read (a model with named inputs: the attention mask). */
  seed(value: string, shape: number[]): void {
    this.values.set(value, { layer: value, shape });
  }

  /** The node computing `value`, when it is `opType`. */
  producerOf(value: string | undefined, opType: string): NodeProto | undefined {
    const node = value === undefined ? undefined : this.producers.get(value);
    return node?.opType === opType ? node : undefined;
  }

  /** A computed value the mapping knows, or undefined. */
  find(name: string): MappedValue | undefined {
    return this.values.get(name);
  }

  /** The computed value a node reads at input `index`. @throws UnmappableNode when it is a weight or not computed by mapped layers. */
  input(node: NodeProto, index = 0): MappedValue {
    const value = this.values.get(node.input[index] ?? '');
    if (!value) {
      const why = this.constants.get(node.input[index] ?? '')
        ? `its input ${index} is a stored tensor, where headstart needs a computed value`
        : `its input ${index} ("${node.input[index] ?? ''}") is not computed by the layers before it`;
      throw this.unsupported(node, why);
    }
    if (value.rowBias)
      throw this.unsupported(
        node,
        `it reads "${node.input[index]}", which adds a constant row (a token type embedding) that no position embedding after it takes`,
      );
    return value;
  }

  /** A layer name for the node. */
  layerName(node: NodeProto, weight?: string): string {
    return this.names.forNode(node, weight);
  }

  /** A weight by value name. @throws UnmappableNode when the node computes it rather than storing it, or it cannot be read. */
  constant(node: NodeProto, value: string | undefined): Constant {
    const found = value === undefined ? undefined : this.constants.get(value);
    if (!found) throw this.unsupported(node, this.constants.whyMissing(value ?? ''));
    return found;
  }

  /** The error for a node without a headstart layer. */
  unsupported(node: NodeProto, why: string): UnmappableNode {
    return new UnmappableNode(this.file, node, why);
  }

  /** The node's output is `value` itself (Identity, Dropout, a Flatten of a flat value …). */
  alias(node: NodeProto, value: MappedValue): void {
    this.values.set(node.output[0]!, value);
  }

  /** The node's output is the output of `value`'s layer, after a bias folded into it: an activation after it may fold in too. */
  extendLayerOutput(node: NodeProto, value: MappedValue): void {
    this.alias(node, value);
    this.outputOf.set(value.layer, node.output[0]!);
  }

  /**
   * The layer computing value `name`, when one node alone reads it and it is that layer's own output:
   * an activation or bias after it may fold into the layer.
   */
  soleProducer(name: string): LayerInput | undefined {
    const value = this.values.get(name);
    if (!value || this.readers.get(name) !== 1 || this.outputOf.get(value.layer) !== name) return undefined;
    return this.layers.find((l) => l.name === value.layer);
  }

  /**
   * Add a layer reading `inputs`, with its weights; the node's output becomes its value.
   * @throws UnmappableNode when the layer does not fit the shapes it receives.
   */
  add(
    node: NodeProto,
    layer: LayerInput,
    inputs: MappedValue[],
    weights: Record<string, { shape: number[]; data: Float32Array }> = {},
    layout: ValueLayout = {},
  ): void {
    const sources = inputs.map((v) => v.layer);
    const listed: LayerInput = sources.length === 1 && sources[0] === this.lastListed ? layer : { ...layer, inputs: sources };
    const shape = this.outputShape(node, listed, inputs);
    this.layers.push(listed);
    this.lastListed = layer.name;
    for (const [param, tensor] of Object.entries(weights)) this.weights.set(`${layer.name}.${param}`, tensor);
    this.outputOf.set(layer.name, node.output[0]!);
    this.values.set(node.output[0]!, { layer: layer.name, shape, ...layout });
  }

  /** The last listed layer's name, or the value the mapping started from. */
  lastLayer(): string {
    return this.lastListed;
  }

  private outputShape(node: NodeProto, layer: LayerInput, inputs: MappedValue[]): number[] {
    if (layer.type === 'add') return inputs[0]!.shape;
    if (layer.type === 'concat') {
      const first = inputs[0]!.shape;
      return [...first.slice(0, -1), inputs.reduce((sum, v) => sum + v.shape[v.shape.length - 1]!, 0)];
    }
    const { inputs: _, ...alone } = layer;
    try {
      if (layer.type === 'embedding') return [...inputs[0]!.shape, layer.units];
      return outputShape(validateSpec({ inputShape: inputs[0]!.shape, layers: [alone] }));
    } catch (error) {
      if (error instanceof HeadstartError) throw this.unsupported(node, error.message);
      throw error;
    }
  }
}
/** The one data input of a graph and its channels-last sample shape. */
export interface GraphInput {
  name: string;
  /** `[features]`, or `[H, W, C]` for an NCHW image input. */
  shape: number[];
  /** The batch size when the graph fixes it (a PyTorch export without dynamic axes), else undefined. */
  fixedBatch?: number | undefined;
}

/** @throws HeadstartError (NOT_SUPPORTED) unless the graph has one float input `[N, F]` or `[N, C, H, W]` of fixed sample size. */
export function graphInput(file: string, graph: GraphProto): GraphInput {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: expected one data input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
    );
  const input = inputs[0]!;
  const elemType = input.type?.tensorType?.elemType;
  if (elemType !== undefined && elemType !== DataType.FLOAT)
    throw new HeadstartError('NOT_SUPPORTED', `${file}: input "${input.name}" has ONNX element type ${elemType}; expected float (1)`);
  const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
  if (dims.length !== 2 && dims.length !== 4)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: input "${input.name}" has rank ${dims.length}; expected [N, features] or [N, C, H, W]`,
    );
  if (dims.slice(1).some((d) => !(d > 0)))
    throw new HeadstartError('NOT_SUPPORTED', `${file}: input "${input.name}" needs fixed sizes after the batch axis, got [${dims}]`);
  const shape = dims.length === 4 ? [dims[2]!, dims[3]!, dims[1]!] : [dims[1]!];
  return { name: input.name, shape, ...(dims[0]! > 0 ? { fixedBatch: dims[0]! } : {}) };
}

/** Map a whole graph; see {@link importOnnxModel}. @throws UnmappableNode naming the first node without a headstart layer. */
export function mapOnnxGraph(file: string, model: ModelProto): { spec: ModelSpec; weights: NamedTensors } {
  const graph = model.graph!;
  const tokens = encoderInputs(file, graph);
  if (tokens) return mapEncoderGraph(file, graph, tokens);
  const input = graphInput(file, graph);
  const mapper = mapGraph({
    file,
    graph,
    constants: Constants.of(graph),
    from: { value: input.name, layer: MODEL_INPUT, shape: input.shape },
    firstNode: 0,
  });
  return { spec: mapper.spec(input.shape), weights: mapper.weights };
}

/** A graph of token inputs (ids, attention mask): a spec with those named inputs, as int32 `[T]`. */
function mapEncoderGraph(file: string, graph: GraphProto, inputs: TokenInput[]): { spec: ModelSpec; weights: NamedTensors } {
  const [first, ...others] = inputs as [TokenInput, ...TokenInput[]];
  const mapper = mapGraph({
    file,
    graph,
    constants: Constants.of(graph),
    from: { value: first.name, layer: first.name, shape: [first.tokens] },
    others: others.map((i) => ({ value: i.name, shape: [i.tokens] })),
    firstNode: 0,
    reserved: inputs.map((i) => i.name),
  });
  const specInputs = inputs.map((i) => ({ name: i.name, shape: [i.tokens], dtype: 'int32' as const }));
  return { spec: validateSpec({ inputs: specInputs, layers: mapper.layers }, file), weights: mapper.weights };
}

/** Where {@link mapGraph} starts and what it may use. */
export interface GraphStart {
  file: string;
  graph: GraphProto;
  /** Weights and constants by value name; Constant nodes met on the way are added. */
  constants: Constants;
  /** The value the mapping starts from, the layer name it has ({@link MODEL_INPUT}, or an opaque block's), and its channels-last sample shape. */
  from: { value: string; layer: string; shape: number[] };
  /** More model inputs the layers may read (an encoder's attention mask), by their own names. */
  others?: { value: string; shape: number[] }[] | undefined;
  /** Index of the first node to map; earlier nodes are taken to compute `from`. */
  firstNode: number;
  /** Layer names already taken. */
  reserved?: string[] | undefined;
}

/** Subgraphs one layer computes, tried at each node from the last. */
const PATTERNS: readonly Pattern[] = [attentionBlock, decomposedLayerNorm, erfGelu, maskedMeanPool];

/**
 * Map the nodes from `firstNode` to the end that the graph's one output needs, as a graph of layers
 * from `from` to that output; subgraphs that one layer computes (see {@link PATTERNS}) map as that
 * layer. @throws UnmappableNode (with its index) at the first node that has no headstart layer;
 * HeadstartError when the graph does not have one output computed from `from`.
 */
export function mapGraph(start: GraphStart): GraphMapper {
  const { file, graph } = start;
  const source = graph.node ?? [];
  const output = graph.output?.length === 1 ? graph.output[0]!.name : undefined;
  if (output === undefined) throw new HeadstartError('NOT_SUPPORTED', `${file}: expected one output, found ${graph.output?.length ?? 0}`);
  for (const node of source) recordConstant(start.constants, node);
  const others = start.others ?? [];
  const index = new GraphIndex(file, graph, start.constants, [start.from.value, ...others.map((o) => o.value)]);
  const { nodes, matches } = applyPatterns(index, PATTERNS);
  const needed = neededNodes(nodes, output, start.firstNode);
  const mapper = new GraphMapper(file, start.constants, start.from, readers(nodes, needed, output), start.reserved);
  for (const other of others) mapper.seed(other.value, other.shape);
  for (const node of source) for (const value of node.output) mapper.producers.set(value, node);
  for (let at = start.firstNode; at < nodes.length; at++) {
    const node = nodes[at]!;
    if (!needed.has(at) || node.opType === 'Constant') continue;
    try {
      const match = matches.get(at);
      if (match) match.map(mapper, node);
      else mapNode(mapper, node);
    } catch (error) {
      throw error instanceof UnmappableNode ? error.at(file, at) : error;
    }
  }
  const last = mapper.find(output);
  if (!last || last.layer !== mapper.lastLayer() || mapper.layers.length === 0)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: output "${output}" is not computed by the layers mapped from input "${start.from.value}"`,
    );
  return mapper;
}

/** Record a Constant node's value, if it holds a tensor. */
export function recordConstant(constants: Constants, node: NodeProto): void {
  const proto = node.attribute?.find((a) => a.name === 'value')?.t;
  if (node.opType === 'Constant' && proto) constants.add(node.output[0]!, proto);
}

/** Indices of the nodes from `first` on that `output` depends on (nodes whose results nothing reads are left out). */
function neededNodes(nodes: readonly NodeProto[], output: string, first: number): Set<number> {
  const wanted = new Set([output]);
  const needed = new Set<number>();
  for (let index = nodes.length - 1; index >= first; index--) {
    const node = nodes[index]!;
    if (!node.output.some((name) => wanted.has(name))) continue;
    needed.add(index);
    for (const name of node.input) if (name) wanted.add(name);
  }
  return needed;
}

/** How many needed nodes (and the graph output) read each value. */
function readers(nodes: readonly NodeProto[], needed: ReadonlySet<number>, output: string): Map<string, number> {
  const count = new Map<string, number>([[output, 1]]);
  for (const index of needed) for (const name of nodes[index]!.input) if (name) count.set(name, (count.get(name) ?? 0) + 1);
  return count;
}
