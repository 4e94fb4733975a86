import { HeadstartError, type Batch, type LossKind } from '@headstart/core';

/**
 * Loss of each sample in float64: cross-entropy of the labels from the logits before the final softmax
 * (log-sum-exp shifted by the row maximum), or the mean squared error over the sample's outputs.
 * @param outputs `n × outputs`: logits for `softmaxCrossEntropy`, outputs for `mse`.
 */
export function sampleLosses(kind: LossKind, outputs: Float64Array, batch: Batch): Float64Array {
  const n = batch.size;
  const width = outputs.length / n;
  const losses = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const row = outputs.subarray(s * width, (s + 1) * width);
    if (kind === 'mse') {
      const targets = batch.targets;
      if (!targets) throw new HeadstartError('BAD_INPUT', 'mse needs targets in the batch');
      for (let i = 0; i < width; i++) losses[s]! += (row[i]! - targets[s * width + i]!) ** 2 / width;
    } else {
      const label = batch.labels?.[s];
      if (label === undefined) throw new HeadstartError('BAD_INPUT', 'softmaxCrossEntropy needs labels in the batch');
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let total = 0;
      for (const v of row) total += Math.exp(v - max);
      losses[s] = Math.log(total) + max - row[label]!;
    }
  }
  return losses;
}

/** Mean of {@link sampleLosses}: the loss a step minimises (before regularisers). */
export function meanLoss(kind: LossKind, outputs: Float64Array, batch: Batch): number {
  return sampleLosses(kind, outputs, batch).reduce((a, b) => a + b, 0) / batch.size;
}
