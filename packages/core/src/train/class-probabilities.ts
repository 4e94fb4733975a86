import type { Model } from '../backend.js';
import { tokenInputs, type TrainingData } from '../data/training-data.js';
import { isTokenDataset } from '../data/token-dataset.js';
import { HeadstartError } from '../errors.js';
import type { ModelSpec } from '../spec/model-spec.js';

/**
 * Whether a classifier's outputs are logits rather than probabilities: its output layer is a
 * `dense` or `conv2d` with a linear activation, or a linear `activation` layer — as a PyTorch
 * classifier exported to ONNX ends (its softmax lives in the loss). An opaque ONNX block is not
 * judged: what it computes is unknown.
 */
export function outputsLogits(spec: ModelSpec): boolean {
  const last = spec.layers[spec.layers.length - 1];
  if (last?.type === 'dense' || last?.type === 'conv2d' || last?.type === 'activation') return last.activation === 'linear';
  return false;
}

/** Softmax over consecutive rows of `classes` values, in place; shifted by each row's maximum. */
export function softmaxRowsInPlace(values: Float32Array, classes: number): Float32Array {
  for (let start = 0; start < values.length; start += classes) {
    let max = -Infinity;
    for (let i = start; i < start + classes; i++) max = Math.max(max, values[i]!);
    let total = 0;
    for (let i = start; i < start + classes; i++) total += values[i] = Math.exp(values[i]! - max);
    for (let i = start; i < start + classes; i++) values[i]! /= total;
  }
  return values;
}

/**
 * Class probabilities of `size` samples: the model's outputs, through a softmax when they are
 * logits ({@link outputsLogits}), so that a probability is one whatever the model ends in.
 */
export async function classProbabilities(
  model: Pick<Model, 'predict' | 'spec'>,
  x: Float32Array,
  size: number,
  classes: number,
): Promise<Float32Array> {
  const outputs = await model.predict(x, size);
  return outputsLogits(model.spec) ? softmaxRowsInPlace(outputs, classes) : outputs;
}

/** What predicts: a model, or any object with its `predict` (and `predictInputs` for token sequences). */
export type Predictor = Pick<Model, 'predict' | 'spec'> & Partial<Pick<Model, 'predictInputs' | 'engine'>>;

/**
 * The model's outputs for the samples `start..start+count` of `data`: its features through
 * `predict`, or its token sequences through `predictInputs`.
 * @throws HeadstartError (NOT_SUPPORTED) when the model takes token sequences but its backend cannot predict from named inputs.
 */
export async function predictRows(model: Predictor, data: TrainingData, start: number, count: number): Promise<Float32Array> {
  if (!isTokenDataset(data)) {
    const width = data.features.length / Math.max(1, data.size);
    return model.predict(data.features.subarray(start * width, (start + count) * width), count);
  }
  if (!model.predictInputs)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${model.engine ?? 'this backend'}: the backend cannot predict from named inputs (token ids), only train on them`,
    );
  return model.predictInputs(tokenInputs(data, start, count), count);
}

/** {@link classProbabilities} of the samples `start..start+count` of `data` (features or token sequences). */
export async function classProbabilitiesOf(
  model: Predictor,
  data: TrainingData,
  start: number,
  count: number,
  classes: number,
): Promise<Float32Array> {
  const outputs = await predictRows(model, data, start, count);
  return outputsLogits(model.spec) ? softmaxRowsInPlace(outputs, classes) : outputs;
}
