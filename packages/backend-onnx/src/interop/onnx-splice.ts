import protobuf from 'protobufjs';
import { concat, fields, GRAPH, LENGTH_DELIMITED, lengthDelimited, MODEL_GRAPH } from '../onnx/onnx-wire.js';

/** `ModelProto.functions` and the `GraphProto` fields a splice moves besides those of {@link GRAPH}. */
const MODEL_FUNCTIONS = 25;
const GRAPH_MORE = { quantizationAnnotation: 14, sparseInitializer: 15 } as const;

/**
 * Which fields of a message hold value names (renamed by the value map), node names (prefixed) or
 * messages to rewrite in turn. Every other field is copied byte for byte.
 */
interface MessageNames {
  values?: readonly number[] | undefined;
  nodeNames?: readonly number[] | undefined;
  messages?: Readonly<Record<number, () => MessageNames>> | undefined;
}

// Field numbers as in onnx/onnx.proto. A subgraph (If, Loop, Scan) is renamed like the main graph, so
// its reads of outer values follow them and its own values cannot meet the host's.
const VALUE_INFO: MessageNames = { values: [1] };
const TENSOR: MessageNames = { values: [8] };
const SPARSE_TENSOR: MessageNames = { messages: { 1: () => TENSOR, 2: () => TENSOR } };
const ANNOTATION: MessageNames = { values: [1], messages: { 2: () => ({ values: [2] }) } };
const ATTRIBUTE: MessageNames = { messages: { 6: () => GRAPH_NAMES, 11: () => GRAPH_NAMES } };
const NODE: MessageNames = { values: [1, 2], nodeNames: [3], messages: { 5: () => ATTRIBUTE } };
const GRAPH_NAMES: MessageNames = {
  messages: {
    [GRAPH.node]: () => NODE,
    [GRAPH.initializer]: () => TENSOR,
    [GRAPH.input]: () => VALUE_INFO,
    [GRAPH.output]: () => VALUE_INFO,
    [GRAPH.valueInfo]: () => VALUE_INFO,
    [GRAPH_MORE.quantizationAnnotation]: () => ANNOTATION,
    [GRAPH_MORE.sparseInitializer]: () => SPARSE_TENSOR,
  },
};

/** How a splice renames the guest: value names (graph values, initializers) and node names. */
export interface Renaming {
  value(name: string): string;
  node(name: string): string;
}

/**
 * The parts of a model's main graph that a splice moves into another graph, each field renamed at
 * the protobuf wire level (everything else in it copied byte for byte, as in `onnx/onnx-wire.ts`), and
 * the model's functions as they are. Inputs, outputs and the graph's name stay behind.
 */
export interface GraphParts {
  /** `NodeProto` fields (tag included), in graph order. */
  nodes: Uint8Array[];
  /** Initializers, sparse initializers, value infos and quantization annotations. */
  rest: Uint8Array[];
  /** `FunctionProto` fields of the model. */
  functions: Uint8Array[];
  /** Every name the renamed parts use, values and nodes alike, for the host to avoid. */
  names: Set<string>;
}

/**
 * Cut `model` (ONNX bytes) into {@link GraphParts}, renamed by `renaming`. `keepValueInfo` sees the
 * original name of each value info (the shape hint of a value that becomes a host input should go).
 */
export function graphParts(model: Uint8Array, renaming: Renaming, keepValueInfo: (name: string) => boolean = () => true): GraphParts {
  const parts: GraphParts = { nodes: [], rest: [], functions: [], names: new Set() };
  const rename: Renaming = {
    value: (name) => record(parts.names, name === '' ? '' : renaming.value(name)),
    node: (name) => record(parts.names, name === '' ? '' : renaming.node(name)),
  };
  for (const f of fields(model)) {
    if (f.field === MODEL_FUNCTIONS) parts.functions.push(f.raw);
    if (f.field !== MODEL_GRAPH || f.wireType !== LENGTH_DELIMITED) continue;
    for (const g of fields(f.payload!)) {
      const renamed = (names: MessageNames): Uint8Array => lengthDelimited(g.field, renameMessage(g.payload!, names, rename));
      if (g.field === GRAPH.node) parts.nodes.push(renamed(NODE));
      else if (g.field === GRAPH.initializer) parts.rest.push(renamed(TENSOR));
      else if (g.field === GRAPH_MORE.sparseInitializer) parts.rest.push(renamed(SPARSE_TENSOR));
      else if (g.field === GRAPH_MORE.quantizationAnnotation) parts.rest.push(renamed(ANNOTATION));
      else if (g.field === GRAPH.valueInfo && keepValueInfo(valueInfoName(g.payload!))) parts.rest.push(renamed(VALUE_INFO));
    }
  }
  return parts;
}

/**
 * `host` (ONNX bytes) with `guest` spliced into its main graph: the guest's nodes before the host's
 * node number `insertAt` (the first that reads the guest's output), its other graph fields after the
 * host's, its functions after the host's model fields. The host's opset imports must already cover
 * the guest's.
 */
export function spliceModel(host: Uint8Array, guest: GraphParts, insertAt: number): Uint8Array {
  const model: Uint8Array[] = [];
  for (const f of fields(host)) {
    if (f.field !== MODEL_GRAPH || f.wireType !== LENGTH_DELIMITED) {
      model.push(f.raw);
      continue;
    }
    const graph: Uint8Array[] = [];
    let node = 0;
    for (const g of fields(f.payload!)) {
      if (g.field === GRAPH.node && node++ === insertAt) graph.push(...guest.nodes);
      graph.push(g.raw);
    }
    if (node <= insertAt) graph.push(...guest.nodes);
    graph.push(...guest.rest);
    model.push(lengthDelimited(MODEL_GRAPH, concat(graph)));
  }
  model.push(...guest.functions);
  return concat(model);
}

function renameMessage(bytes: Uint8Array, names: MessageNames, rename: Renaming): Uint8Array {
  const out: Uint8Array[] = [];
  for (const f of fields(bytes)) {
    if (f.wireType !== LENGTH_DELIMITED) out.push(f.raw);
    else if (names.values?.includes(f.field)) out.push(stringField(f.field, rename.value(text(f.payload!))));
    else if (names.nodeNames?.includes(f.field)) out.push(stringField(f.field, rename.node(text(f.payload!))));
    else if (names.messages?.[f.field]) out.push(lengthDelimited(f.field, renameMessage(f.payload!, names.messages[f.field]!(), rename)));
    else out.push(f.raw);
  }
  return concat(out);
}

/** The name (field 1) of a `ValueInfoProto`. */
function valueInfoName(bytes: Uint8Array): string {
  for (const f of fields(bytes)) if (f.field === 1 && f.wireType === LENGTH_DELIMITED) return text(f.payload!);
  return '';
}

const decoder = new TextDecoder();

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function stringField(field: number, value: string): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | LENGTH_DELIMITED)
    .string(value)
    .finish();
}

function record(names: Set<string>, name: string): string {
  if (name !== '') names.add(name);
  return name;
}
