import { HeadstartError, sizeOf, type Batch, type LossKind, type LossOptions } from '@headstart/core';
import { crossEntropyTarget, tokenLabels, tokenOutputShape } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';

/**
 * The target of a batch as a tensor: core's cross-entropy target `[n, classes]` for
 * `softmaxCrossEntropy` (one-hot labels or soft labels, with the loss options' smoothing and class
 * weights), targets `[n, outputs]` for `mse`.
 * @throws HeadstartError (BAD_INPUT) when the batch lacks them or a label is out of range.
 */
export function targetTensor(kind: LossKind, batch: Batch, outputShape: number[], lossOptions?: LossOptions): tf.Tensor2D {
  if (kind === 'tokenCrossEntropy') {
    // The labels as floats `[n, tokens]`, −100 kept: the loss tells ignored positions by it.
    const { tokens, vocab } = tokenOutputShape(outputShape);
    return tf.tensor2d(Float32Array.from(tokenLabels(batch, tokens, vocab)), [batch.size, tokens]);
  }
  const outputs = sizeOf(outputShape);
  if (kind === 'softmaxCrossEntropy') return tf.tensor2d(crossEntropyTarget(batch, outputs, lossOptions), [batch.size, outputs]);
  if (!batch.targets || batch.targets.length !== batch.size * outputs) {
    throw new HeadstartError(
      'BAD_INPUT',
      `mse needs ${batch.size}×${outputs} targets in the batch, got ${batch.targets?.length ?? 'none'}`,
    );
  }
  return tf.tensor2d(batch.targets, [batch.size, outputs]);
}

/**
 * Loss of each sample, `[n]`. For `softmaxCrossEntropy` `outputs` are the logits before the final
 * softmax (log-softmax keeps it stable); for `mse` it is the mean squared error over the sample's outputs.
 */
export function sampleLosses(kind: LossKind, outputs: tf.Tensor, target: tf.Tensor2D): tf.Tensor1D {
  if (kind === 'tokenCrossEntropy') return tokenLosses(outputs, target).samples;
  const flat = tf.reshape(outputs, target.shape);
  if (kind === 'softmaxCrossEntropy') return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(flat)), -1)) as tf.Tensor1D;
  return tf.mean(tf.squaredDifference(flat, target), -1) as tf.Tensor1D;
}

/**
 * Mean of {@link sampleLosses}: the optimised loss. For `softmaxCrossEntropy` its gradient is the
 * closed form `(softmax·rowSum(target) − target)/n` instead of autodiff through log-softmax, sum and
 * mean: the same values up to rounding, and some twenty kernels fewer a step (a one-hot row sums to
 * exactly 1; a row weighted by class weights does not).
 */
export function meanLoss(kind: LossKind, outputs: tf.Tensor, target: tf.Tensor2D): tf.Scalar {
  if (kind === 'tokenCrossEntropy') return tokenLosses(outputs, target).mean;
  if (kind !== 'softmaxCrossEntropy') return tf.mean(sampleLosses(kind, outputs, target));
  const crossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const logProbabilities = tf.logSoftmax(tf.reshape(logits, target.shape));
    save([logProbabilities]);
    const value = tf.mean(tf.neg(tf.sum(tf.mul(target, logProbabilities), -1))) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, [saved]: tf.Tensor[]): tf.Tensor =>
      tf.reshape(tf.mul(tf.sub(tf.mul(tf.exp(saved!), tf.sum(target, -1, true)), target), tf.div(dy, target.shape[0])), logits.shape);
    return { value, gradFunc };
  });
  return crossEntropy(outputs) as tf.Scalar;
}

/**
 * Masked-language modelling's cross-entropy from logits `[n, tokens, vocab]` and token labels
 * `[n, tokens]` (−100: ignored): `mean` over the counted positions (0 when none; autodiff gives its
 * gradient), and each sample's share of it times `n` (`samples` sums to `mean·n`, so an evaluation's
 * summed loss averages back to the mean).
 */
function tokenLosses(outputs: tf.Tensor, target: tf.Tensor2D): { mean: tf.Scalar; samples: tf.Tensor1D } {
  const [n, tokens] = target.shape;
  const logits = tf.reshape(outputs, [n, tokens, -1]);
  const counted = tf.cast(tf.greater(target, -0.5), 'float32');
  const ids = tf.cast(tf.maximum(target, 0), 'int32');
  const onehot = tf.oneHot(ids, logits.shape[2]!);
  const nll = tf.mul(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1)), counted);
  const perPosition = tf.div(1, tf.maximum(tf.sum(counted), 1));
  return { mean: tf.mul(tf.sum(nll), perPosition) as tf.Scalar, samples: tf.mul(tf.sum(nll, -1), tf.mul(perPosition, n)) as tf.Tensor1D };
}

/**
 * Hinton's distillation term `T²·KL(softmax(teacher/T) ‖ softmax(logits/T))`, mean over samples
 * (autodiff gives its gradient; it is a small share of a step).
 */
export function distillationLoss(logits: tf.Tensor, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  const logStudent = tf.logSoftmax(tf.div(tf.reshape(logits, teacher.shape), temperature));
  const logTeacher = tf.logSoftmax(tf.div(teacher, temperature));
  const kl = tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)), -1);
  return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
}

/** How many samples' highest output (the first, on ties, as argmax) is their label. */
export function countCorrect(outputs: Float32Array | Int32Array | Uint8Array, labels: Int32Array): number {
  const classes = outputs.length / labels.length;
  let correct = 0;
  labels.forEach((label, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (outputs[i * classes + c]! > outputs[i * classes + best]!) best = c;
    if (best === label) correct++;
  });
  return correct;
}
