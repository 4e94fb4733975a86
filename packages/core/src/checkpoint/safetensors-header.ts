import { CheckpointError } from '../errors.js';
import { sizeOf } from '../tensors.js';

/** Bytes of the little-endian u64 that opens a safetensors file and gives the header's length. */
export const HEADER_LENGTH_BYTES = 8;

/**
 * Largest header accepted (100 MiB). Checked before anything is allocated, so a corrupt length
 * field fails at once instead of exhausting memory.
 */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Element types headstart reads and writes: F32 for weights, U8 for bytes (an opaque block's ONNX graph). */
export type SafetensorsDtype = 'F32' | 'U8';

/** One tensor's entry in a safetensors header: where its bytes lie within the data section. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offset of the first element, from the start of the data section. */
  begin: number;
  /** Byte offset just past the last element. */
  end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** Tensors in the order of their bytes in the data section. */
  entries: TensorEntry[];
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, U8: 1 };

/**
 * The header length from the first 8 bytes of a file of `fileBytes` bytes, checked against the
 * cap and the file's size.
 * @throws CheckpointError when the file is too short or the length cannot be right.
 */
export function readHeaderLength(prefix: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < HEADER_LENGTH_BYTES || prefix.byteLength < HEADER_LENGTH_BYTES) {
    throw new CheckpointError(file, `not a safetensors file: ${fileBytes} bytes, too short for the 8-byte header length`);
  }
  // Compared as a bigint: a u64 above 2^53 would lose precision as a number.
  const length = new DataView(prefix.buffer, prefix.byteOffset, HEADER_LENGTH_BYTES).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(
      file,
      `header length ${length} bytes exceeds the ${MAX_HEADER_BYTES / 1024 / 1024} MiB limit; the file is corrupt or not safetensors`,
    );
  }
  const rest = fileBytes - HEADER_LENGTH_BYTES;
  if (Number(length) > rest) {
    throw new CheckpointError(
      file,
      `header length ${length} bytes is larger than the rest of the file (${rest} bytes); the file is truncated or not safetensors`,
    );
  }
  return Number(length);
}

/**
 * Parse and validate a header: every entry well-formed, and together the entries tiling the
 * `dataBytes`-byte data section exactly, without gaps, overlaps or trailing bytes.
 * @throws CheckpointError naming the tensor and what is wrong.
 */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, file: string): SafetensorsHeader {
  const json = parseJsonObject(headerBytes, file);
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(value, file);
    else entries.push(parseEntry(name, value, dataBytes, file));
  }
  // Readers go by offsets, not by key order (JSON objects put integer-like keys first).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkTiling(entries, dataBytes, file);
  return { entries, metadata };
}

function parseJsonObject(bytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(file, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's own wording differs between Node versions, so it is not repeated here.
    throw new CheckpointError(file, 'header is not valid JSON');
  }
  if (!isPlainObject(json)) throw new CheckpointError(file, 'header is not a JSON object');
  return json;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) throw new CheckpointError(file, '__metadata__ is not an object of strings');
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new CheckpointError(file, `__metadata__.${key} must be a string, found ${describeType(item)}`);
    }
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, dataBytes: number, file: string): TensorEntry {
  const fail = (problem: string): never => {
    throw new CheckpointError(file, `tensor "${name}": ${problem}`);
  };
  if (!isPlainObject(value)) return fail(`entry is not an object, found ${describeType(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype === undefined) fail('missing dtype');
  if (typeof dtype !== 'string') return fail(`dtype must be a string, found ${describeType(dtype)}`);
  if (dtype !== 'F32' && dtype !== 'U8') fail(`dtype ${dtype} is not supported (headstart reads F32 and U8 only)`);
  if (shape === undefined) fail('missing shape');
  if (!isIndexArray(shape)) return fail('shape must be an array of non-negative integers');
  if (offsets === undefined) fail('missing data_offsets');
  if (!isIndexArray(offsets) || offsets.length !== 2) return fail('data_offsets must be two non-negative integers [begin, end]');
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) fail(`data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`);
  const type = dtype as SafetensorsDtype;
  const needed = sizeOf(shape) * BYTES_PER_ELEMENT[type];
  if (end - begin !== needed) {
    fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape.join(', ')}] of ${type} needs ${needed}`);
  }
  return { name, dtype: type, shape, begin, end };
}

function checkTiling(entries: TensorEntry[], dataBytes: number, file: string): void {
  let previous: TensorEntry | undefined;
  for (const entry of entries) {
    const expected = previous?.end ?? 0;
    if (entry.begin < expected) {
      const other = `tensor "${previous!.name}" [${previous!.begin}, ${previous!.end}]`;
      throw new CheckpointError(file, `tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] overlap ${other}`);
    }
    if (entry.begin > expected) {
      const after = previous ? `after tensor "${previous.name}" (which ends at ${previous.end})` : 'at the start of the data';
      throw new CheckpointError(file, `tensor "${entry.name}": data_offsets start at ${entry.begin}, leaving a gap ${after}`);
    }
    previous = entry;
  }
  const used = previous?.end ?? 0;
  if (used < dataBytes) throw new CheckpointError(file, `${dataBytes - used} trailing bytes after the last tensor`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
