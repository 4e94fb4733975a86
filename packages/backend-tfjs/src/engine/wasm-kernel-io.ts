// Plumbing shared by the kernels headstart registers for the wasm engine (wasm-conv-gradients.ts,
// wasm-segment-sum.ts): typed kernel functions, and tensors over a kernel's inputs and output.
import * as tf from '@tensorflow/tfjs';

/** A kernel function of typed inputs and attributes, as the registry takes it (untyped maps). */
export function asKernel<Args>(kernel: (args: Args) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelFunc {
  return kernel as unknown as tf.KernelFunc;
}

/** A kernel's inputs by name, its backend and its attributes. */
export interface KernelArgs<Inputs extends string, Attrs> {
  inputs: Record<Inputs, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs: Attrs;
}

/**
 * A tensor over a kernel input's data. The backend counts one more reference for it, so that
 * disposing it (when the surrounding tidy ends) leaves the input as it was.
 */
export function wrap(backend: tf.KernelBackend, info: tf.TensorInfo): tf.Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/**
 * Run `compute` (tf ops, on the wasm engine) and return its result as a kernel output. The engine
 * wraps a kernel's output data in a tensor of its own without counting a reference for it, so the
 * result's reference is handed over: one is added before our tensor of it is disposed.
 */
export function kernelOutput(backend: tf.KernelBackend, compute: () => tf.Tensor): tf.TensorInfo {
  const out = tf.tidy(compute);
  backend.incRef(out.dataId);
  const info: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  out.dispose();
  return info;
}
