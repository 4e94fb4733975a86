/**
 * A TensorFlow GraphDef as the JSON `tensorflowjs_converter` writes in a graph model's `modelTopology`
 * (protobuf's JSON mapping: 64-bit integers as strings, enums by name), and the attribute values its
 * nodes take. Only what `tf.loadGraphModel` reads is modelled.
 */

/** The `format` of a graph model's model.json, as `tensorflowjs_converter` writes it. */
export const GRAPH_MODEL_FORMAT = 'graph-model';

/** A tensor element type, by its protobuf enum name. */
export type TfDataType = 'DT_FLOAT' | 'DT_INT32';

/** A tensor shape; `-1` for a dimension known only at run time (the batch). */
export interface TensorShapeJson {
  dim: { size: string }[];
}

/** One attribute value of a node (`AttrValue`): exactly one of its fields is set. */
export type AttrValueJson =
  | { type: TfDataType }
  | { b: boolean }
  | { i: string }
  | { f: number }
  | { shape: TensorShapeJson }
  | { tensor: { dtype: TfDataType; tensorShape: TensorShapeJson } };

/** One node (`NodeDef`): an op on the outputs of the nodes it names in `input`. */
export interface NodeDefJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValueJson>;
}

/** A graph (`GraphDef`). */
export interface GraphDefJson {
  node: NodeDefJson[];
  library: Record<string, never>;
  versions: { producer: number };
}

/** A graph model's input or output by name (`TensorInfo` of a `SignatureDef`); `name` is `node:output`. */
export interface TensorInfoJson {
  name: string;
  dtype: TfDataType;
  tensorShape: TensorShapeJson;
}

/** What `execute` takes and gives by key (a `SignatureDef`, as the converter writes it for a SavedModel). */
export interface SignatureJson {
  inputs: Record<string, TensorInfoJson>;
  outputs: Record<string, TensorInfoJson>;
}

/** `{ dim: [{ size: "-1" }, { size: "8" }] }` for `[-1, 8]`. */
export function tensorShape(shape: readonly number[]): TensorShapeJson {
  return { dim: shape.map((size) => ({ size: String(size) })) };
}

/** The protobuf name of a tfjs dtype. */
export function tfDataType(dtype: 'float32' | 'int32'): TfDataType {
  return dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
}
