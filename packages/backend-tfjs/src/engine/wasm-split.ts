import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asKernel, type KernelArgs } from './wasm-kernel-io.js';

interface SplitAttrs {
  numOrSizeSplits: number[] | number;
  axis: number | number[];
}

/** wasm's own `SplitV`, kept for the splits {@link contiguousSplit} leaves to it. */
let wasmSplit: tf.KernelFunc | undefined;

/**
 * `SplitV` in place of tfjs-backend-wasm 4.22's, which copies the whole input out of the wasm heap once
 * per piece (each piece is a `Slice`, which reads all of `x` with `readSync`). The optimizers split
 * their flat update into the parameters with it: for the bench encoder (930,826 parameters in 70
 * pieces) that is 260 MB of copies, a quarter of a training step. When every axis before the split
 * axis has size 1, each piece is one contiguous run of `x`: copied within the heap, nothing read out.
 * Other splits go to wasm's own kernel.
 */
export const WASM_SPLIT: tf.KernelConfig = { kernelName: 'SplitV', backendName: 'wasm', kernelFunc: asKernel(contiguousSplit) };

/** Put {@link WASM_SPLIT} in place of the wasm engine's `SplitV`. Call after the wasm backend loaded; again is harmless. */
export function registerWasmSplit(): void {
  const current = tf.getKernel(WASM_SPLIT.kernelName, 'wasm');
  if (current?.kernelFunc === WASM_SPLIT.kernelFunc) return;
  if (current) {
    wasmSplit = current.kernelFunc;
    tf.unregisterKernel(WASM_SPLIT.kernelName, 'wasm');
  }
  tf.registerKernel(WASM_SPLIT);
}

function contiguousSplit(args: KernelArgs<'x', SplitAttrs>): tf.TensorInfo[] {
  const { inputs, attrs } = args;
  const backend = args.backend as BackendWasm;
  const { x } = inputs;
  const [axis] = tf.util.parseAxisParam(attrs.axis, x.shape) as [number];
  if (x.dtype === 'string' || x.shape.slice(0, axis).some((d) => d !== 1)) {
    if (!wasmSplit) throw new Error('tfjs wasm SplitV: the wasm engine has no SplitV of its own to split along this axis');
    return wasmSplit(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[];
  }
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
  const stride = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  let offset = 0;
  return sizes.map((size) => {
    const shape = [...x.shape];
    shape[axis] = size;
    const out = backend.makeOutput(shape, x.dtype);
    // Allocating may grow the heap, which detaches views taken before: take both after it.
    (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(x).subarray(offset, offset + size * stride));
    offset += size * stride;
    return out;
  });
}
