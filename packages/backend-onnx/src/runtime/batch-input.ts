import { HeadstartError, type Batch, type LossKind } from '@headstart/core';

/**
 * The loss target `[size, outputs]`: one-hot labels for `softmaxCrossEntropy` (written into `reuse`
 * when it is big enough, to spare an allocation per step), the batch's targets for `mse`.
 * @throws HeadstartError (BAD_INPUT) when the batch lacks them or a label is out of range.
 */
export function targetData(kind: LossKind, batch: Batch, outputs: number, reuse?: Float32Array): Float32Array {
  if (kind === 'mse') {
    if (!batch.targets || batch.targets.length !== batch.size * outputs) {
      throw new HeadstartError(
        'BAD_INPUT',
        `mse needs ${batch.size}×${outputs} targets in the batch, got ${batch.targets?.length ?? 'none'}`,
      );
    }
    return batch.targets;
  }
  const labels = batch.labels;
  if (!labels || labels.length !== batch.size)
    throw new HeadstartError('BAD_INPUT', `softmaxCrossEntropy needs ${batch.size} labels in the batch, got ${labels?.length ?? 'none'}`);
  const onehot = reuse && reuse.length === batch.size * outputs ? reuse.fill(0) : new Float32Array(batch.size * outputs);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < outputs && Number.isInteger(label)))
      throw new HeadstartError('BAD_INPUT', `label ${label} of sample ${i} is not a class index in 0..${outputs - 1}`);
    onehot[i * outputs + label] = 1;
  }
  return onehot;
}
