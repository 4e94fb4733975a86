import { HeadstartError, sizeOf, type TensorData } from '@headstart/core';
import { readFile } from 'node:fs/promises';
import { shardPath, type WeightEntry, type WeightGroup } from './layers-model-files.js';

/**
 * Every weight of a layers model's manifest (as `readModelJson` checked it) as float32, by its
 * manifest name. Decoded here rather than with tf.io.decodeWeights so that reading a file creates no
 * tensors (and so starts no engine).
 * @throws HeadstartError (BAD_INPUT) naming the file for a missing, short or long shard, or an unknown dtype.
 */
export async function readWeights(modelJson: string, manifest: WeightGroup[]): Promise<Map<string, TensorData>> {
  const weights = new Map<string, TensorData>();
  for (const group of manifest) {
    const buffers = await Promise.all(group.paths.map((p) => readShard(modelJson, p)));
    const bytes = concat(buffers);
    let offset = 0;
    for (const entry of group.weights) {
      const size = sizeOf(entry.shape);
      const byteLength = size * bytesPerValue(modelJson, entry);
      if (offset + byteLength > bytes.byteLength) {
        throw new HeadstartError(
          'BAD_INPUT',
          `${modelJson}: weight "${entry.name}" needs bytes ${offset}..${offset + byteLength} but its shards (${group.paths.join(', ')}) hold ${bytes.byteLength}`,
        );
      }
      weights.set(entry.name, {
        shape: [...entry.shape],
        data: decode(entry, new Uint8Array(bytes.subarray(offset, offset + byteLength)).buffer),
      });
      offset += byteLength;
    }
    // Bytes no weight takes mean the shards belong to another model.json (or were damaged): never guess which part is right.
    if (offset !== bytes.byteLength) {
      throw new HeadstartError(
        'BAD_INPUT',
        `${modelJson}: its shards (${group.paths.join(', ')}) hold ${bytes.byteLength} bytes but the weights it lists take ${offset}`,
      );
    }
  }
  return weights;
}

async function readShard(modelJson: string, shard: string): Promise<Uint8Array> {
  const path = shardPath(modelJson, shard);
  try {
    return await readFile(path);
  } catch (error) {
    throw new HeadstartError('BAD_INPUT', `${modelJson}: cannot read weights shard ${path} (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function concat(buffers: Uint8Array[]): Uint8Array {
  if (buffers.length === 1) return buffers[0]!;
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}

/** Storage bytes per value: the quantized dtype when there is one, else the weight's own. */
function bytesPerValue(modelJson: string, entry: WeightEntry): number {
  const stored = entry.quantization?.dtype ?? entry.dtype;
  switch (stored) {
    case 'float32':
    case 'int32':
      return 4;
    case 'uint16':
    case 'float16':
      return 2;
    case 'uint8':
    case 'bool':
      return 1;
    default:
      throw new HeadstartError(
        'BAD_INPUT',
        `${modelJson}: weight "${entry.name}" has dtype ${stored}; expected float32, int32 or a uint8/uint16/float16 quantization`,
      );
  }
}

/** Values as float32; `bytes` is a copy, so typed-array views over it stay aligned. */
function decode(entry: WeightEntry, bytes: ArrayBuffer): Float32Array {
  const q = entry.quantization;
  if (q?.dtype === 'float16') return Float32Array.from(new Uint16Array(bytes), halfToFloat);
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    const stored = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes);
    const [scale, min] = [q.scale ?? 1, q.min ?? 0];
    return Float32Array.from(stored, (v) => v * scale + min);
  }
  if (entry.dtype === 'int32') return Float32Array.from(new Int32Array(bytes));
  if (entry.dtype === 'bool') return Float32Array.from(new Uint8Array(bytes));
  return new Float32Array(bytes);
}

/** IEEE 754 half precision to a JS number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
