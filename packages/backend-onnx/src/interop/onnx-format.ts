import type { ModelFormat } from '@headstart/core';

/** ModelProto's fields (onnx/onnx.proto) and their protobuf wire types: 0 varint, 2 length-delimited. */
const MODEL_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
  [26, 2], // configuration
]);

/** The ONNX format: a ModelProto in protobuf, as onnxruntime, PyTorch's exporter and `headstart export` write it. */
export const ONNX_FORMAT: ModelFormat = {
  name: 'onnx',
  extensions: ['.onnx'],
  import: true,
  export: true,
  sniff: looksLikeOnnx,
};

/**
 * Whether `head` starts like a ModelProto: every field that begins within it is one of ModelProto's,
 * with its wire type, and lengths fit what a file holds. JSON, text and most binary formats fail on
 * the first byte. `ir_version`, when first (as every exporter writes it), must be a known version.
 */
export function looksLikeOnnx(head: Uint8Array): boolean {
  let at = 0;
  let fields = 0;
  while (at < head.length) {
    const tag = varint(head, at);
    if (!tag) return fields > 0; // the head ends inside a tag
    const [key, afterTag] = tag;
    const field = Math.floor(key / 8);
    if (MODEL_FIELDS.get(field) !== key % 8) return false;
    const value = varint(head, afterTag);
    if (!value) return fields > 0;
    if (field === 1 && fields === 0 && (value[0] < 1 || value[0] > 20)) return false;
    fields++;
    at = key % 8 === 2 ? value[1] + value[0] : value[1];
  }
  return fields > 0;
}

/** A protobuf varint at `at` and the offset after it; undefined when `bytes` ends inside it or it is over 2^49. */
function varint(bytes: Uint8Array, at: number): [number, number] | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 49; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}
