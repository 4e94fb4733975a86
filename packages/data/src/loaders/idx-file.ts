import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError, sizeOf } from '@headstart/core';
import { ByteReader } from './byte-reader.js';
import { beyondFloat32, fitsFloat32 } from '../records/float32.js';
import { readError } from '../records/read-error.js';
import { formatShape } from '../records/sample-shape.js';

/** An IDX element type: its size and how to read one big-endian value. */
interface IdxType {
  name: string;
  bytes: number;
  read(view: DataView, offset: number): number;
}

/** The IDX element types by the code in the third byte of the magic number. */
const IDX_TYPES: ReadonlyMap<number, IdxType> = new Map([
  [0x08, { name: 'unsigned byte', bytes: 1, read: (v, o) => v.getUint8(o) }],
  [0x09, { name: 'signed byte', bytes: 1, read: (v, o) => v.getInt8(o) }],
  [0x0b, { name: 'short', bytes: 2, read: (v, o) => v.getInt16(o) }],
  [0x0c, { name: 'int', bytes: 4, read: (v, o) => v.getInt32(o) }],
  [0x0d, { name: 'float', bytes: 4, read: (v, o) => v.getFloat32(o) }],
  [0x0e, { name: 'double', bytes: 8, read: (v, o) => v.getFloat64(o) }],
]);

/** What the header of an IDX file says. */
export interface IdxHeader {
  /** Element type code (0x08 unsigned byte … 0x0E double). */
  type: number;
  /** Dimensions; the first counts the items (images, labels). */
  dims: number[];
}

/**
 * The items of an IDX file (slices along its first dimension), streamed and converted to
 * float32; gzip-compressed files are recognised by their first bytes. `onHeader` sees the header
 * before the first item. A bad magic number, a truncated file or bytes after the last item
 * announced, and float values that are NaN or beyond float32, are {@link DataError}s.
 * @internal
 */
export async function* readIdx(file: string, onHeader?: (header: IdxHeader) => void): AsyncGenerator<Float32Array> {
  const bytes = new ByteReader(await openBytes(file));
  try {
    const header = await readHeader(file, bytes);
    onHeader?.(header);
    const type = IDX_TYPES.get(header.type)!;
    const [count = 0, ...itemShape] = header.dims;
    const itemBytes = sizeOf(itemShape) * type.bytes;
    // Items of no bytes would "read" forever: a corrupt header can announce 2^32 of them.
    if (itemBytes === 0 && count > 0)
      throw new DataError(file, `the header announces ${count} items of shape ${formatShape(itemShape)}, which hold no values`);
    for (let item = 1; item <= count; item++) {
      const raw = await bytes.read(itemBytes);
      if (raw.length < itemBytes) {
        throw new DataError(
          file,
          `truncated: the header announces ${count} items of ${itemBytes} bytes, but the data ends in item ${item}`,
        );
      }
      yield decode(file, item, raw, type);
    }
    const extra = await bytes.remaining();
    if (extra > 0) throw new DataError(file, `${extra} bytes after the last of the ${count} items the header announces`);
  } catch (error) {
    throw zlibError(file, error);
  } finally {
    await bytes.close();
  }
}

async function openBytes(file: string): Promise<AsyncIterator<Buffer>> {
  const handle = await open(file).catch((error: unknown) => Promise.reject(readError(file, error)));
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  const stream: Readable = handle.createReadStream({ start: 0 });
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  const source: Readable = gzipped ? pipeline(stream, createGunzip(), () => {}) : stream;
  return source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
}

async function readHeader(file: string, bytes: ByteReader): Promise<IdxHeader> {
  const magic = await bytes.read(4);
  if (magic.length < 4) throw new DataError(file, `too short for an IDX file (${magic.length} bytes)`);
  const number = `0x${magic.toString('hex').padStart(8, '0')}`;
  if (magic[0] !== 0 || magic[1] !== 0 || !IDX_TYPES.has(magic[2]!) || magic[3] === 0) {
    throw new DataError(file, `bad magic number ${number}: not an IDX file (MNIST images start with 0x00000803, labels with 0x00000801)`);
  }
  const rank = magic[3]!;
  const dims = await bytes.read(4 * rank);
  if (dims.length < 4 * rank)
    throw new DataError(file, `truncated: the header announces ${rank} dimensions but ends after ${dims.length} bytes of them`);
  return { type: magic[2]!, dims: Array.from({ length: rank }, (_, i) => dims.readUInt32BE(4 * i)) };
}

/** Item `item`'s values as float32. @throws DataError for a float that is NaN, infinite or beyond float32. */
function decode(file: string, item: number, raw: Buffer, type: IdxType): Float32Array {
  if (type.bytes === 1 && type.name === 'unsigned byte') return new Float32Array(raw);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const values = new Float32Array(raw.length / type.bytes);
  for (let i = 0; i < values.length; i++) {
    const value = type.read(view, i * type.bytes);
    if (!fitsFloat32(value)) {
      const problem = Number.isNaN(value) ? 'NaN is not a number' : beyondFloat32(String(value));
      throw new DataError(file, `item ${item}, value ${i + 1}: ${problem}`);
    }
    values[i] = value;
  }
  return values;
}

function zlibError(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return new DataError(file, `not a valid gzip file (${(error as Error).message})`);
  return readError(file, error);
}
