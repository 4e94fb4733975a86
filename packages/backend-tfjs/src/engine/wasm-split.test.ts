import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { registerWasmSplit, WASM_SPLIT } from './wasm-split.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  expect(await tf.setBackend('wasm')).toBe(true);
  registerWasmSplit();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The sizes of the bench encoder's 70 parameters, in the optimizer's order (bench/transformer-spec.mjs). */
const ENCODER_PARAMETERS = [
  128000,
  8192,
  128,
  128,
  ...Array.from({ length: 4 }, () => [16384, 128, 16384, 128, 16384, 128, 16384, 128, 128, 128, 65536, 512, 65536, 128, 128, 128]).flat(),
  1280,
  10,
];

/** The wasm engine's heap (emscripten's HEAPU8, which tfjs's typings leave out). */
function heap(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

/** `x` split on `engine`, each piece's shape and its values' bytes (base64: quick to compare). */
function split(engine: 'wasm' | 'cpu', x: tf.Tensor, sizes: number[] | number, axis: number): { shape: number[]; bytes: string }[] {
  tf.setBackend(engine);
  const pieces = tf.split(x, sizes, axis);
  const result = pieces.map((p) => {
    const data = p.dataSync();
    return { shape: p.shape, bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  });
  tf.dispose(pieces);
  tf.setBackend('wasm');
  return result;
}

describe('SplitV in place of the wasm engine’s own', () => {
  test('the wasm engine now runs ours, registering twice changes nothing', () => {
    registerWasmSplit();
    expect(tf.getKernel('SplitV', 'wasm')?.kernelFunc).toBe(WASM_SPLIT.kernelFunc);
  });

  // First, while the heap is small: the pieces' allocation must grow it.
  test('pieces stay right when allocating them grows the wasm heap (which detaches views taken before)', () => {
    const backend = tf.backend() as BackendWasm;
    // Each half takes a quarter of the heap's bytes; after x, the heap has less than that free.
    const half = heap(backend).length / 4;
    const x = tf.range(0, 2 * half, 1, 'int32');
    const before = heap(backend).buffer;
    const [first, second] = tf.split(x, 2);
    expect(heap(backend).buffer).not.toBe(before);
    const [a, b] = [first!.dataSync(), second!.dataSync()];
    expect(a.every((v, i) => v === i) && b.every((v, i) => v === half + i)).toBe(true);
    tf.dispose([x, first!, second!]);
  });

  test.each([
    ['a flat vector into the encoder’s 70 parameters', [930826], ENCODER_PARAMETERS, 0, 'float32'],
    ['rows, sizes with −1 and an empty piece', [7, 3], [2, 0, -1], 0, 'float32'],
    ['the second axis after a unit one, in equal parts', [1, 12, 2], 3, 1, 'int32'],
    ['the last axis after non-unit ones (wasm’s own kernel)', [2, 3, 6], [1, 2, 3], 2, 'float32'],
    ['the middle axis of booleans (wasm’s own kernel)', [2, 4, 3], 2, -2, 'bool'],
  ] as const)('%s: the cpu engine’s pieces, bit for bit', (_, shape, sizes, axis, dtype) => {
    const count = shape.reduce<number>((a, b) => a * b, 1);
    const values = Int32Array.from({ length: count }, (_, i) => (dtype === 'bool' ? i % 3 : i - 100));
    const x = tf.tensor(dtype === 'float32' ? Float32Array.from(values, (v) => v / 7) : values, [...shape], dtype);
    const sizeList = typeof sizes === 'number' ? sizes : [...sizes];
    expect(split('wasm', x, sizeList, axis)).toEqual(split('cpu', x, sizeList, axis));
    x.dispose();
  });

  test('a contiguous split copies within the heap: the input is never read out of it (wasm’s own read it once per piece)', () => {
    const backend = tf.backend() as BackendWasm;
    const reads = vi.spyOn(backend, 'readSync');
    const x = tf.range(0, 930826, 1, 'float32');
    const pieces = tf.split(x, ENCODER_PARAMETERS);
    expect(reads).not.toHaveBeenCalled();
    expect(Array.from(pieces[69]!.dataSync())).toEqual(Array.from({ length: 10 }, (_, i) => 930816 + i));
    tf.dispose([x, ...pieces]);
  });
});
