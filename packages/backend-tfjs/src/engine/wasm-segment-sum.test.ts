import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerWasmSegmentSum, WASM_SEGMENT_SUM } from './wasm-segment-sum.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  expect(await tf.setBackend('wasm')).toBe(true);
  registerWasmSegmentSum();
});

/** Seeded values in [-1, 1). */
function values(shape: number[], seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

/**
 * Token ids of `samples` padded sequences of `tokens`: each a seeded length from 1 to `tokens`, ids 1..vocab−1
 * up to it and `0` (the padding id) after, so id 0 repeats most, as in an embedding's gradient.
 */
function paddedIds(samples: number, tokens: number, vocab: number, seed: number): { ids: Int32Array; mask: Float32Array } {
  const draws = values([samples * (tokens + 1)], seed).map((v) => (v + 1) / 2);
  const ids = new Int32Array(samples * tokens);
  const mask = new Float32Array(samples * tokens);
  for (let s = 0; s < samples; s++) {
    const length = 1 + Math.floor(draws[s]! * tokens);
    for (let t = 0; t < length; t++) {
      ids[s * tokens + t] = 1 + Math.floor(draws[samples + s * tokens + t]! * (vocab - 1));
      mask[s * tokens + t] = 1;
    }
  }
  return { ids, mask };
}

/** The kernel's result on `engine`, as plain numbers. */
function run(
  engine: 'wasm' | 'cpu',
  x: tf.Tensor,
  ids: tf.Tensor,
  numSegments: number,
): { shape: number[]; data: Float32Array | Int32Array } {
  tf.setBackend(engine);
  const out = tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments }) as tf.Tensor;
  const result = { shape: out.shape, data: out.dataSync() as Float32Array | Int32Array };
  out.dispose();
  tf.setBackend('wasm');
  return result;
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe('UnsortedSegmentSum registered for the wasm engine (the gradient of tf.gather: embeddings)', () => {
  test('the wasm engine now runs ours, registering twice changes nothing', () => {
    registerWasmSegmentSum();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')?.kernelFunc).toBe(WASM_SEGMENT_SUM.kernelFunc);
  });

  test.each([
    // rows (samples × tokens of padded sequences), inner shape of x, vocabulary (segments)
    [2, 6, [8], 20],
    [4, 16, [16], 50],
    [32, 8, [3], 7],
    [3, 5, [2, 3], 11],
    [1, 1, [5], 1],
  ])('%i padded sequences of %i tokens, rows %j, %i ids: as on cpu within 1e-5', (samples, tokens, inner, vocab) => {
    const { ids } = paddedIds(samples, tokens, vocab, samples + tokens);
    const rows = samples * tokens;
    const x = tf.tensor(values([rows, ...inner], vocab), [rows, ...inner]);
    const segmentIds = tf.tensor1d(ids, 'int32');
    const [wasm, cpu] = [run('wasm', x, segmentIds, vocab), run('cpu', x, segmentIds, vocab)];
    expect(wasm.shape).toEqual([vocab, ...inner]);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(largestDifference(wasm.data, cpu.data)).toBeLessThan(1e-5);
    tf.dispose([x, segmentIds]);
  });

  test('ids outside [0, numSegments) count nowhere, empty segments are zeros, int32 rows sum exactly (as on cpu)', () => {
    const segmentIds = tf.tensor1d([3, -1, 0, 5, 9, 3, 0, -7], 'int32');
    for (const dtype of ['float32', 'int32'] as const) {
      const x =
        dtype === 'int32'
          ? tf.tensor2d(
              Int32Array.from({ length: 16 }, (_, i) => i - 5),
              [8, 2],
              'int32',
            )
          : tf.tensor2d(values([8, 2], 3), [8, 2]);
      const [wasm, cpu] = [run('wasm', x, segmentIds, 5), run('cpu', x, segmentIds, 5)];
      expect(wasm.shape).toEqual([5, 2]);
      expect(Array.from(wasm.data)).toEqual(Array.from(cpu.data));
      // Segments 1, 2 and 4 have no rows.
      expect(Array.from(wasm.data.slice(2, 6))).toEqual([0, 0, 0, 0]);
      x.dispose();
    }
    segmentIds.dispose();
  });

  test.each([
    [4, 6, 20, 8],
    [8, 12, 30, 16],
  ])(
    'a masked embedding’s gradient (%i sequences of %i tokens, vocabulary %i, width %i) is the cpu engine’s within 1e-5',
    (samples, tokens, vocab, width) => {
      const { ids, mask } = paddedIds(samples, tokens, vocab, 11);
      const table = values([vocab, width], 5);
      const dy = values([samples, tokens, width], 6);
      const gradient = (engine: 'wasm' | 'cpu'): Float32Array => {
        tf.setBackend(engine);
        const result = tf.tidy(() => {
          const idTensor = tf.tensor2d(ids, [samples, tokens], 'int32');
          const keep = tf.expandDims(tf.tensor2d(mask, [samples, tokens]), -1);
          // The embedding layer's forward (layers/sequence.ts) with padding id 0: its rows get no gradient.
          const embed = (t: tf.Tensor): tf.Tensor =>
            tf.sum(tf.mul(tf.mul(tf.gather(t, idTensor), keep), tf.tensor3d(dy, [samples, tokens, width])));
          return tf.grad(embed)(tf.tensor2d(table, [vocab, width]));
        });
        const data = result.dataSync() as Float32Array;
        result.dispose();
        tf.setBackend('wasm');
        return data;
      };
      const [wasm, cpu] = [gradient('wasm'), gradient('cpu')];
      expect(largestDifference(wasm, cpu)).toBeLessThan(1e-5);
      expect(Array.from(wasm.slice(0, width))).toEqual(new Array(width).fill(0));
      expect(wasm.some((v) => v !== 0)).toBe(true);
    },
  );

  test('ids of another shape than one per row are refused in one line, not guessed', () => {
    const x = tf.ones([2, 3, 4]);
    const ids = tf.zeros([2, 3], 'int32');
    expect(() => tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 4 })).toThrow(
      /^tfjs wasm UnsortedSegmentSum: expected one segment id per row of x \[2, 3, 4\], got ids \[2, 3\]$/,
    );
    tf.dispose([x, ids]);
  });
});
