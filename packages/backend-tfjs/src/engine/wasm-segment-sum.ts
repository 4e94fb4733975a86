import * as tf from '@tensorflow/tfjs';
import { asKernel, kernelOutput, wrap, type KernelArgs } from './wasm-kernel-io.js';

/**
 * `UnsortedSegmentSum`, which tfjs-backend-wasm 4.22 lacks, registered for it from kernels it has:
 * it is the gradient of `tf.gather`, so an embedding layer (and every encoder) needs it to train.
 * Row `i` of `x` is added to output row `segmentIds[i]`, which is what wasm's `ScatterNd` does with
 * one index per row (it sums repeated indices in row order, as the cpu engine's kernel does).
 * `wasm-segment-sum.test.ts` checks it against the cpu engine's own kernel.
 */
export const WASM_SEGMENT_SUM: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: asKernel(unsortedSegmentSum),
};

/** Register {@link WASM_SEGMENT_SUM} unless the wasm engine has the kernel. Call after the wasm backend loaded; again is harmless. */
export function registerWasmSegmentSum(): void {
  if (!tf.getKernel(WASM_SEGMENT_SUM.kernelName, 'wasm')) tf.registerKernel(WASM_SEGMENT_SUM);
}

/**
 * `[numSegments, ...x.shape[1:]]`: output row `s` is the sum of the rows `i` of `x` with
 * `segmentIds[i] = s`, zeros when there are none; ids outside `[0, numSegments)` count nowhere.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs<'x' | 'segmentIds', { numSegments: number }>): tf.TensorInfo {
  const { x, segmentIds } = inputs;
  const rows = x.shape[0] ?? 0;
  // tfjs's gradients call it with one id per row of x (gather's flattens its indices); anything else is refused, not guessed.
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows)
    throw new Error(
      `tfjs wasm UnsortedSegmentSum: expected one segment id per row of x [${x.shape.join(', ')}], got ids [${segmentIds.shape.join(', ')}]`,
    );
  const { numSegments } = attrs;
  const inner = x.shape.slice(1);
  const width = inner.reduce((a, b) => a * b, 1);
  return kernelOutput(backend, () => {
    const ids = wrap(backend, segmentIds);
    // ScatterNd writes where an index points, unchecked: ids out of range go to one extra row, dropped below.
    const inRange = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
    const targets = tf.where(inRange, ids, tf.fill([rows], numSegments, 'int32'));
    const updates = tf.reshape(wrap(backend, x), [rows, width]);
    const summed = tf.scatterND(tf.reshape(targets, [rows, 1]), updates, [numSegments + 1, width]);
    return tf.reshape(tf.slice(summed, [0, 0], [numSegments, width]), [numSegments, ...inner]);
  });
}
