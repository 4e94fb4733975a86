import type { ModelSpec } from '@headstart/core';
import { checkInput } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';

/** Samples as a tensor `[size, ...inputShape]`, for use inside tf.tidy. @throws as {@link checkInput}. */
export function inputTensor(spec: ModelSpec, x: Float32Array, size: number): tf.Tensor {
  checkInput(spec.inputShape, x, size);
  return tf.tensor(x, [size, ...spec.inputShape], 'float32');
}
