import protobuf from 'protobufjs';

/** ONNX `TensorProto.DataType` codes this backend reads or writes. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** ONNX `AttributeProto.AttributeType` codes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** A `TensorProto` as plain data (a subset of the fields). */
export interface TensorProto {
  name?: string | undefined;
  dims?: number[] | undefined;
  dataType?: number | undefined;
  rawData?: Uint8Array | undefined;
  floatData?: number[] | undefined;
  int32Data?: number[] | undefined;
  int64Data?: number[] | undefined;
  doubleData?: number[] | undefined;
  dataLocation?: number | undefined;
}

/** An `AttributeProto` as plain data. */
export interface AttributeProto {
  name: string;
  type: number;
  f?: number | undefined;
  i?: number | undefined;
  s?: Uint8Array | undefined;
  t?: TensorProto | undefined;
  floats?: number[] | undefined;
  ints?: number[] | undefined;
  /** A subgraph (the body of `Scan` or `Loop`). */
  g?: GraphProto | undefined;
  /** Several subgraphs. */
  graphs?: GraphProto[] | undefined;
}

/** A `NodeProto` as plain data. */
export interface NodeProto {
  input: string[];
  output: string[];
  name?: string | undefined;
  opType: string;
  domain?: string | undefined;
  attribute?: AttributeProto[] | undefined;
}

/** One dimension of a `TensorShapeProto`: a fixed size or a symbolic name (the batch). */
export interface DimensionProto {
  dimValue?: number | undefined;
  dimParam?: string | undefined;
}

/** A `ValueInfoProto` of a tensor, as plain data. */
export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] | undefined } } } | undefined;
}

/** A `GraphProto` as plain data. */
export interface GraphProto {
  name?: string | undefined;
  node?: NodeProto[] | undefined;
  initializer?: TensorProto[] | undefined;
  input?: ValueInfoProto[] | undefined;
  output?: ValueInfoProto[] | undefined;
  /** Types and shapes of intermediate values, when the producer recorded them. */
  valueInfo?: ValueInfoProto[] | undefined;
}

/** A model-local function (`FunctionProto`) as plain data: read only, to see which ops its body uses. */
export interface FunctionProto {
  name?: string | undefined;
  domain?: string | undefined;
  node?: NodeProto[] | undefined;
  opsetImport?: { domain?: string | undefined; version?: number | undefined }[] | undefined;
}

/** A `ModelProto` as plain data. */
export interface ModelProto {
  irVersion?: number | undefined;
  opsetImport?: { domain?: string | undefined; version?: number | undefined }[] | undefined;
  producerName?: string | undefined;
  producerVersion?: string | undefined;
  graph?: GraphProto | undefined;
  metadataProps?: { key: string; value: string }[] | undefined;
  functions?: FunctionProto[] | undefined;
}

const field = (type: string, id: number, rule?: 'repeated'): { type: string; id: number; rule?: string } =>
  rule ? { type, id, rule } : { type, id };

// The subset of onnx/onnx.proto that we read and write; field numbers as in the official schema.
const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: field('string', 1), value: field('string', 2) } },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        TensorProto: {
          fields: {
            dims: field('int64', 1, 'repeated'),
            dataType: field('int32', 2),
            floatData: field('float', 4, 'repeated'),
            int32Data: field('int32', 5, 'repeated'),
            int64Data: field('int64', 7, 'repeated'),
            name: field('string', 8),
            rawData: field('bytes', 9),
            doubleData: field('double', 10, 'repeated'),
            externalData: field('StringStringEntryProto', 13, 'repeated'),
            dataLocation: field('int32', 14),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            floats: field('float', 7, 'repeated'),
            ints: field('int64', 8, 'repeated'),
            strings: field('bytes', 9, 'repeated'),
            graphs: field('GraphProto', 11, 'repeated'),
            type: field('int32', 20),
          },
        },
        NodeProto: {
          fields: {
            input: field('string', 1, 'repeated'),
            output: field('string', 2, 'repeated'),
            name: field('string', 3),
            opType: field('string', 4),
            attribute: field('AttributeProto', 5, 'repeated'),
            domain: field('string', 7),
          },
        },
        TensorShapeProto: {
          fields: { dim: field('Dimension', 1, 'repeated') },
          nested: { Dimension: { fields: { dimValue: field('int64', 1), dimParam: field('string', 2) } } },
        },
        TypeProto: {
          fields: { tensorType: field('Tensor', 1) },
          nested: { Tensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } } },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
        GraphProto: {
          fields: {
            node: field('NodeProto', 1, 'repeated'),
            name: field('string', 2),
            initializer: field('TensorProto', 5, 'repeated'),
            input: field('ValueInfoProto', 11, 'repeated'),
            output: field('ValueInfoProto', 12, 'repeated'),
            valueInfo: field('ValueInfoProto', 13, 'repeated'),
          },
        },
        FunctionProto: {
          fields: {
            name: field('string', 1),
            node: field('NodeProto', 7, 'repeated'),
            opsetImport: field('OperatorSetIdProto', 9, 'repeated'),
            domain: field('string', 10),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            graph: field('GraphProto', 7),
            opsetImport: field('OperatorSetIdProto', 8, 'repeated'),
            metadataProps: field('StringStringEntryProto', 14, 'repeated'),
            functions: field('FunctionProto', 25, 'repeated'),
          },
        },
      },
    },
  },
};

let root: protobuf.Root | undefined;

function protoType(name: 'ModelProto' | 'ValueInfoProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(descriptor);
  return root.lookupType(`onnx.${name}`);
}

function modelProtoType(): protobuf.Type {
  return protoType('ModelProto');
}

/** Serialise a model to ONNX protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

/** Serialise one `ValueInfoProto` (a graph input or output). */
export function encodeValueInfo(value: ValueInfoProto): Uint8Array {
  const type = protoType('ValueInfoProto');
  return type.encode(type.fromObject(value)).finish();
}

/** Parse ONNX protobuf bytes; int64 fields come back as JS numbers. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProtoType();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as ModelProto;
}
