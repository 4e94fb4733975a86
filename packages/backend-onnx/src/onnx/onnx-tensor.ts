import { DataType, type TensorProto } from './onnx-proto.js';

/** An initializer's values as float32, whatever its stored type. @throws Error for external or unsupported data. */
export function tensorValues(t: TensorProto): Float32Array {
  if (t.dataLocation === 1) throw new Error(`initializer "${t.name}" keeps its data in an external file, which is not supported`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  // A fresh, aligned copy: decoded bytes may be a Buffer view into a shared pool.
  const copy = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;
  switch (t.dataType) {
    case DataType.FLOAT:
      return raw ? new Float32Array(copy(raw)) : Float32Array.from(t.floatData ?? []);
    case DataType.DOUBLE:
      return Float32Array.from(raw ? new Float64Array(copy(raw)) : (t.doubleData ?? []));
    case DataType.INT64:
      return Float32Array.from(raw ? Array.from(new BigInt64Array(copy(raw)), Number) : (t.int64Data ?? []).map(Number));
    case DataType.INT32:
      return Float32Array.from(raw ? new Int32Array(copy(raw)) : (t.int32Data ?? []));
    default:
      throw new Error(`initializer "${t.name}" has data type ${t.dataType}, which is not supported`);
  }
}

/** The dimensions of an initializer. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}
