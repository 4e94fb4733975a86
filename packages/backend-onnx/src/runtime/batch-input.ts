import { HeadstartError, type Batch, type LossKind, type LossOptions, type ModelSpec } from '@headstart/core';
import { checkInput, checkNamedInputs, crossEntropyTarget, tokenLabels, tokenOutputShape } from '@headstart/core/backend-kit';
import type * as OrtModule from 'onnxruntime-node';
import type { Tensor } from 'onnxruntime-node';
import { IO } from '../compiler/inference-graph.js';
import { namedInput } from '../compiler/model-inputs.js';

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

/**
 * The `target` feed of a step or evaluation: {@link targetData} `[size, outputs]`, or for
 * `tokenCrossEntropy` the batch's checked token labels as floats `[size, tokens]` (−100 kept: the
 * graph tells ignored positions by it).
 */
export function targetTensor(
  ort: typeof OrtModule,
  kind: LossKind,
  batch: Batch,
  outputShape: readonly number[],
  reuse?: Float32Array,
  lossOptions?: LossOptions,
): Tensor {
  if (kind === 'tokenCrossEntropy') {
    const { tokens, vocab } = tokenOutputShape(outputShape);
    return new ort.Tensor('float32', Float32Array.from(tokenLabels(batch, tokens, vocab)), [batch.size, tokens]);
  }
  const outputs = outputShape.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', targetData(kind, batch, outputs, reuse, lossOptions), [batch.size, outputs]);
}

/**
 * The feeds of a batch's model inputs: `x` for a spec with one input (checked against its shape), or
 * for a spec with named inputs each `input.<name>` from `batch.inputs`, checked by core's
 * `checkNamedInputs` (presence, element type, length, ids in the vocabulary, 0/1 masks).
 * @throws HeadstartError (BAD_INPUT) naming the input that is missing or does not fit.
 */
export function modelInputFeeds(ort: typeof OrtModule, spec: ModelSpec, batch: Batch): Record<string, Tensor> {
  if (!spec.inputs) {
    checkInput(spec.inputShape, batch.x, batch.size);
    return { [IO.x]: new ort.Tensor('float32', batch.x, [batch.size, ...spec.inputShape]) };
  }
  const feeds: Record<string, Tensor> = {};
  for (const { input, values } of checkNamedInputs(spec, batch)) {
    const shape = [batch.size, ...input.shape];
    feeds[namedInput(input.name)] =
      values instanceof Int32Array ? new ort.Tensor('int32', values, shape) : new ort.Tensor('float32', values, shape);
  }
  return feeds;
}
