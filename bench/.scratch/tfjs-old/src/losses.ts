import { HeadstartError, sizeOf, type Batch, type LossKind } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';

/**
 * The target of a batch as a tensor: one-hot labels `[n, classes]` for `softmaxCrossEntropy`,
 * targets `[n, outputs]` for `mse`.
 * @throws HeadstartError (BAD_INPUT) when the batch lacks them or a label is out of range.
 */
export function targetTensor(kind: LossKind, batch: Batch, outputShape: number[]): tf.Tensor2D {
  const outputs = sizeOf(outputShape);
  if (kind === 'softmaxCrossEntropy') {
    if (!batch.labels || batch.labels.length !== batch.size) throw new HeadstartError('BAD_INPUT', `softmaxCrossEntropy needs ${batch.size} labels in the batch, got ${batch.labels?.length ?? 'none'}`);
    const bad = batch.labels.findIndex((label) => label < 0 || label >= outputs || !Number.isInteger(label));
    if (bad >= 0) throw new HeadstartError('BAD_INPUT', `label ${batch.labels[bad]} of sample ${bad} is not a class index in 0..${outputs - 1}`);
    return tf.oneHot(tf.tensor1d(batch.labels, 'int32'), outputs).toFloat() as tf.Tensor2D;
  }
  if (!batch.targets || batch.targets.length !== batch.size * outputs) {
    throw new HeadstartError('BAD_INPUT', `mse needs ${batch.size}×${outputs} targets in the batch, got ${batch.targets?.length ?? 'none'}`);
  }
  return tf.tensor2d(batch.targets, [batch.size, outputs]);
}

/**
 * Loss of each sample, `[n]`. For `softmaxCrossEntropy` `outputs` are the logits before the final
 * softmax (log-softmax keeps it stable); for `mse` it is the mean squared error over the sample's outputs.
 */
export function sampleLosses(kind: LossKind, outputs: tf.Tensor, target: tf.Tensor2D): tf.Tensor1D {
  const flat = tf.reshape(outputs, target.shape);
  if (kind === 'softmaxCrossEntropy') return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(flat)), -1)) as tf.Tensor1D;
  return tf.mean(tf.squaredDifference(flat, target), -1) as tf.Tensor1D;
}

/** Mean of {@link sampleLosses}: the optimised loss. */
export function meanLoss(kind: LossKind, outputs: tf.Tensor, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(sampleLosses(kind, outputs, target));
}

/** How many samples' highest output is their label. */
export function correctCount(outputs: tf.Tensor, labels: Int32Array): tf.Scalar {
  const predicted = tf.argMax(tf.reshape(outputs, [labels.length, -1]), -1);
  return tf.sum(tf.equal(predicted, tf.tensor1d(labels, 'int32')));
}
