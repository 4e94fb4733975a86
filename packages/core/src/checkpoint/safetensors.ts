import { sizeOf, type NamedTensors, type TensorData } from '../tensors.js';
import {
  HEADER_LENGTH_BYTES,
  parseHeader,
  readHeaderLength,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors-header.js';

/** Tensors packed into a safetensors data section, with the header entries that describe them. */
export interface PackedTensors {
  entries: TensorEntry[];
  /** The data section: every tensor's values (float32 little-endian, or bytes), contiguous, in entry order. */
  data: Buffer;
}

/** A decoded safetensors file. */
export interface DecodedSafetensors {
  header: SafetensorsHeader;
  /** Tensors in the order of their bytes in the file (for files headstart wrote: the order written). */
  tensors: NamedTensors;
  /** The data section, a view into the decoded bytes. */
  data: Uint8Array;
}

// Float32Array uses the platform's byte order; safetensors is little-endian on every platform.
const PLATFORM_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encode tensors as a safetensors file, in the map's insertion order, contiguous: F32, except the
 * tensors `bytes` names, whose values (0–255) are written as U8.
 * @throws RangeError when a tensor's data does not fill its shape, a name is reserved, or a U8
 * tensor holds a value that is not a byte.
 */
export function encodeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>, bytes?: ReadonlySet<string>): Buffer {
  const packed = packTensors(tensors, bytes);
  return assembleSafetensors(packed, metadata);
}

/** Lay tensors out back to back in a data section. See {@link encodeSafetensors}. */
export function packTensors(tensors: NamedTensors, bytes: ReadonlySet<string> = new Set()): PackedTensors {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    checkWritable(name, tensor);
    const dtype: SafetensorsDtype = bytes.has(name) ? 'U8' : 'F32';
    const end = offset + tensor.data.length * (dtype === 'U8' ? 1 : 4);
    entries.push({ name, dtype, shape: [...tensor.shape], begin: offset, end });
    offset = end;
  }
  const data = Buffer.allocUnsafe(offset);
  for (const entry of entries) {
    const values = tensors.get(entry.name)!.data;
    if (entry.dtype === 'U8') writeBytes(entry.name, values, data, entry.begin);
    else writeFloats(values, data, entry.begin);
  }
  return { entries, data };
}

/**
 * Put the length field, the JSON header (`__metadata__` first, then the entries in data order,
 * padded with spaces to a multiple of 8 bytes) and the data section together.
 */
export function assembleSafetensors(packed: PackedTensors, metadata?: Record<string, string>): Buffer {
  const header = Buffer.from(renderHeader(packed.entries, metadata), 'utf8');
  const padded = Math.ceil(header.length / 8) * 8;
  const file = Buffer.alloc(HEADER_LENGTH_BYTES + padded + packed.data.length, ' ');
  file.writeBigUInt64LE(BigInt(padded), 0);
  header.copy(file, HEADER_LENGTH_BYTES);
  packed.data.copy(file, HEADER_LENGTH_BYTES + padded);
  return file;
}

/**
 * Decode and validate a whole safetensors file. The tensors are copies, never views of `bytes`.
 * @throws CheckpointError naming `file` and what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): DecodedSafetensors {
  const headerLength = readHeaderLength(bytes, bytes.byteLength, file);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const header = parseHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart), bytes.byteLength - dataStart, file);
  const data = bytes.subarray(dataStart);
  const tensors: NamedTensors = new Map();
  for (const entry of header.entries)
    tensors.set(entry.name, { shape: [...entry.shape], data: entry.dtype === 'U8' ? readBytes(data, entry) : readFloats(data, entry) });
  return { header, tensors, data };
}

function renderHeader(entries: TensorEntry[], metadata: Record<string, string> | undefined): string {
  // Built by hand: an object literal would move integer-like tensor names ahead of the rest.
  const parts = metadata ? [`"__metadata__":${JSON.stringify(metadata)}`] : [];
  for (const e of entries) {
    parts.push(`${JSON.stringify(e.name)}:${JSON.stringify({ dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] })}`);
  }
  return `{${parts.join(',')}}`;
}

function checkWritable(name: string, tensor: TensorData): void {
  if (name === '__metadata__') throw new RangeError('tensor name "__metadata__" is reserved by safetensors');
  if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`tensor "${name}": shape [${tensor.shape.join(', ')}] must hold non-negative integers`);
  }
  if (tensor.data.length !== sizeOf(tensor.shape)) {
    throw new RangeError(
      `tensor "${name}": ${tensor.data.length} values do not fill shape [${tensor.shape.join(', ')}] (${sizeOf(tensor.shape)} values)`,
    );
  }
}

function writeFloats(values: Float32Array, target: Buffer, offset: number): void {
  if (PLATFORM_IS_LITTLE_ENDIAN) {
    target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    return;
  }
  const view = new DataView(target.buffer, target.byteOffset + offset, values.byteLength);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
}

function writeBytes(name: string, values: Float32Array, target: Buffer, offset: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v <= 255))
      throw new RangeError(`tensor "${name}": value ${v} at index ${i} is not a byte (0–255), as a U8 tensor needs`);
    target[offset + i] = v;
  }
}

/** U8 values as float32 numbers 0–255, the form every tensor has in memory. */
function readBytes(data: Uint8Array, entry: TensorEntry): Float32Array {
  return Float32Array.from(data.subarray(entry.begin, entry.end));
}

function readFloats(data: Uint8Array, entry: TensorEntry): Float32Array {
  const values = new Float32Array((entry.end - entry.begin) / 4);
  const bytes = data.subarray(entry.begin, entry.end);
  // Copying bytes into a fresh array sidesteps Float32Array's need for 4-byte-aligned offsets.
  if (PLATFORM_IS_LITTLE_ENDIAN) {
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}
