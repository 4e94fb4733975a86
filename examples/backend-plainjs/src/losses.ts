import { HeadstartError, type Batch, type LossKind } from '@headstart/core';
import { unsupportedLoss } from './unsupported.js';

/** A batch's loss, from the logits (cross-entropy) or the outputs (mse). */
export interface BatchLoss {
  /** Summed over the samples. */
  sum: number;
  /** Gradient of the **mean** loss by each logit or output (what a step descends). */
  gradient: Float64Array;
  /** Samples whose largest logit is their label (cross-entropy only). */
  correct?: number | undefined;
}

/**
 * `softmaxCrossEntropy` from the logits before the final softmax (log-sum-exp shifted by the row
 * maximum, gradient `(softmax − onehot)/n`), or `mse`, the mean over each sample's outputs of
 * `(y − t)²` (gradient `2(y − t)/(outputs · n)`).
 * @throws HeadstartError (BAD_INPUT) when the batch lacks the labels or targets the loss needs.
 */
export function batchLoss(kind: LossKind, values: Float64Array, batch: Batch): BatchLoss {
  const n = batch.size;
  const width = values.length / n;
  const gradient = new Float64Array(values.length);
  let sum = 0;
  if (kind === 'mse') {
    const targets = batch.targets;
    if (!targets || targets.length !== values.length)
      throw new HeadstartError('BAD_INPUT', `plainjs: mse needs ${values.length} targets in the batch, got ${targets?.length ?? 'none'}`);
    for (let i = 0; i < values.length; i++) {
      const diff = values[i]! - targets[i]!;
      sum += (diff * diff) / width;
      gradient[i] = (2 * diff) / (width * n);
    }
    return { sum, gradient };
  }
  if (batch.targets) throw unsupportedLoss('soft labels (targets in a softmaxCrossEntropy batch)');
  const labels = checkLabels(batch, width);
  let correct = 0;
  for (let s = 0; s < n; s++) {
    const row = s * width;
    let max = -Infinity;
    let best = 0;
    for (let j = 0; j < width; j++) if (values[row + j]! > max) [max, best] = [values[row + j]!, j];
    let total = 0;
    for (let j = 0; j < width; j++) total += gradient[row + j] = Math.exp(values[row + j]! - max);
    sum += Math.log(total) + max - values[row + labels[s]!]!;
    for (let j = 0; j < width; j++) gradient[row + j] = gradient[row + j]! / total / n;
    gradient[row + labels[s]!]! -= 1 / n;
    if (best === labels[s]) correct++;
  }
  return { sum, gradient, correct };
}

function checkLabels(batch: Batch, classes: number): Int32Array {
  const labels = batch.labels;
  if (!labels || labels.length !== batch.size)
    throw new HeadstartError(
      'BAD_INPUT',
      `plainjs: softmaxCrossEntropy needs ${batch.size} labels in the batch, got ${labels?.length ?? 'none'}`,
    );
  const bad = labels.findIndex((label) => !(label >= 0 && label < classes));
  if (bad >= 0)
    throw new HeadstartError('BAD_INPUT', `plainjs: label ${labels[bad]} of sample ${bad} is not a class index in [0, ${classes})`);
  return labels;
}
