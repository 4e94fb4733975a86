import { HeadstartError, sizeOf, type ModelSpec } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';

/**
 * Check that a row-major buffer holds `size` samples of the spec's input shape.
 * @throws HeadstartError (BAD_INPUT) saying what was expected.
 */
export function checkInput(spec: ModelSpec, x: Float32Array, size: number): void {
  const perSample = sizeOf(spec.inputShape);
  if (!Number.isInteger(size) || size < 0 || x.length !== size * perSample) {
    throw new HeadstartError('BAD_INPUT', `expected ${size} samples of shape [${spec.inputShape}] (${size * perSample} values), got ${x.length} values`);
  }
}

/** Samples as a tensor `[size, ...inputShape]`, for use inside tf.tidy. @throws as {@link checkInput}. */
export function inputTensor(spec: ModelSpec, x: Float32Array, size: number): tf.Tensor {
  checkInput(spec, x, size);
  return tf.tensor(x, [size, ...spec.inputShape], 'float32');
}
