import protobuf from 'protobufjs';
import { encodeValueInfo, type GraphProto, type ValueInfoProto } from './onnx-proto.js';

/** Field numbers of `ModelProto.graph` and of the `GraphProto` fields a rewrite filters. */
export const MODEL_GRAPH = 7;
export const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
export const LENGTH_DELIMITED = 2;

/** Which parts of a graph a rewrite keeps; see {@link rewriteGraph}. */
export interface GraphSelection {
  /** Nodes to keep, by index in the graph. */
  node(index: number): boolean;
  initializer(name: string): boolean;
  input(name: string): boolean;
  valueInfo(name: string): boolean;
  /** The graph's outputs, replacing the original ones. */
  outputs: ValueInfoProto[];
  /** Inputs to add after the kept ones (a kept input with a new type: drop it with `input` and add it here). */
  inputs?: ValueInfoProto[] | undefined;
}

/**
 * A copy of an ONNX model with its main graph cut down to `select`, rewritten at the protobuf wire
 * level: every field kept is copied byte for byte, so what this package does not model (functions,
 * doc strings, sparse initializers, opset imports of other domains, training info) survives intact.
 * `graph` is the decoded graph of `bytes`; the n-th node, initializer, input or value-info on the wire
 * is the n-th of its list there.
 */
export function rewriteGraph(bytes: Uint8Array, graph: GraphProto, select: GraphSelection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields(bytes)) {
    if (f.field !== MODEL_GRAPH || f.wireType !== LENGTH_DELIMITED) parts.push(f.raw);
    else parts.push(lengthDelimited(MODEL_GRAPH, rewriteGraphFields(f.payload!, graph, select)));
  }
  return concat(parts);
}

function rewriteGraphFields(bytes: Uint8Array, graph: GraphProto, select: GraphSelection): Uint8Array {
  const parts: Uint8Array[] = [];
  const seen = new Map<number, number>();
  for (const f of fields(bytes)) {
    const index = seen.get(f.field) ?? 0;
    seen.set(f.field, index + 1);
    if (keep(f.field, index, graph, select)) parts.push(f.raw);
  }
  for (const input of select.inputs ?? []) parts.push(lengthDelimited(GRAPH.input, encodeValueInfo(input)));
  for (const output of select.outputs) parts.push(lengthDelimited(GRAPH.output, encodeValueInfo(output)));
  return concat(parts);
}

function keep(field: number, index: number, graph: GraphProto, select: GraphSelection): boolean {
  switch (field) {
    case GRAPH.node:
      return select.node(index);
    case GRAPH.initializer:
      return select.initializer(graph.initializer?.[index]?.name ?? '');
    case GRAPH.input:
      return select.input(graph.input?.[index]?.name ?? '');
    case GRAPH.valueInfo:
      return select.valueInfo(graph.valueInfo?.[index]?.name ?? '');
    case GRAPH.output:
      return false;
    default:
      return true;
  }
}

/** One field of a protobuf message as it is on the wire. */
export interface WireField {
  field: number;
  wireType: number;
  /** The whole field: tag and value. */
  raw: Uint8Array;
  /** The value of a length-delimited field, without its length. */
  payload?: Uint8Array | undefined;
}

/** The fields of a protobuf message, in wire order. */
export function* fields(bytes: Uint8Array): Generator<WireField> {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wireType = tag & 7;
    let payload: Uint8Array | undefined;
    if (wireType === LENGTH_DELIMITED) payload = reader.bytes();
    else reader.skipType(wireType);
    yield { field: tag >>> 3, wireType, raw: bytes.subarray(start, reader.pos), ...(payload ? { payload } : {}) };
  }
}

/** A length-delimited field (a message, bytes or a string) with its tag. */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | LENGTH_DELIMITED)
    .bytes(payload)
    .finish();
}

/** The parts one after the other. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
