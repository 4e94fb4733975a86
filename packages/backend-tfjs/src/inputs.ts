import type { Batch, ModelSpec } from '@headstart/core';
import { checkInput, checkNamedInputs } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';

/** Samples as a tensor `[size, ...inputShape]`, for use inside tf.tidy. @throws as {@link checkInput}. */
export function inputTensor(spec: ModelSpec, x: Float32Array, size: number): tf.Tensor {
  checkInput(spec.inputShape, x, size);
  return tf.tensor(x, [size, ...spec.inputShape], 'float32');
}

/**
 * A batch's model inputs, for use inside tf.tidy: `x` as {@link inputTensor}, or for a spec with named
 * inputs each input's tensor by name (int32 or float32).
 * @throws HeadstartError (BAD_INPUT) as core's `checkNamedInputs`.
 */
export function batchInputs(spec: ModelSpec, batch: Batch): tf.Tensor | Map<string, tf.Tensor> {
  if (!spec.inputs) return inputTensor(spec, batch.x, batch.size);
  return new Map(
    checkNamedInputs(spec, batch).map(({ input, values }) => [
      input.name,
      tf.tensor(values, [batch.size, ...input.shape], values instanceof Int32Array ? 'int32' : 'float32'),
    ]),
  );
}
