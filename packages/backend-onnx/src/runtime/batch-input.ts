import { HeadstartError, type Batch, type LossKind, type LossOptions } from '@headstart/core';
import { crossEntropyTarget } from '@headstart/core/backend-kit';

/**
 * The loss target `[size, outputs]`: for `softmaxCrossEntropy` core's cross-entropy target (one-hot
 * labels or soft labels, with the loss options' smoothing and class weights; written into `reuse`
 * when it is big enough, to spare an allocation per step), the batch's targets for `mse`.
 * @throws HeadstartError (BAD_INPUT) when the batch lacks them or a label is out of range.
 */
export function targetData(kind: LossKind, batch: Batch, outputs: number, reuse?: Float32Array, lossOptions?: LossOptions): Float32Array {
  if (kind === 'mse') {
    if (!batch.targets || batch.targets.length !== batch.size * outputs) {
      throw new HeadstartError(
        'BAD_INPUT',
        `mse needs ${batch.size}×${outputs} targets in the batch, got ${batch.targets?.length ?? 'none'}`,
      );
    }
    return batch.targets;
  }
  return crossEntropyTarget(batch, outputs, lossOptions, reuse);
}
