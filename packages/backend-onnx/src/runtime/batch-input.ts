import { HeadstartError, inferShapes, sizeOf, type Batch, type LossKind, type LossOptions, type ModelSpec } from '@headstart/core';
import { checkInput, crossEntropyTarget } from '@headstart/core/backend-kit';
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
 * The feeds of a batch's model inputs: `x` for a spec with one input (checked against its shape), or
 * for a spec with named inputs each `input.<name>` from `batch.inputs`, checked for presence, element
 * type and length.
 * @throws HeadstartError (BAD_INPUT) naming the input that is missing or does not fit.
 */
export function modelInputFeeds(ort: typeof OrtModule, spec: ModelSpec, batch: Batch): Record<string, Tensor> {
  if (!spec.inputs) {
    checkInput(spec.inputShape, batch.x, batch.size);
    return { [IO.x]: new ort.Tensor('float32', batch.x, [batch.size, ...spec.inputShape]) };
  }
  const feeds: Record<string, Tensor> = {};
  for (const input of spec.inputs) {
    const values = batch.inputs?.[input.name];
    const expected = batch.size * sizeOf(input.shape);
    const wantsInts = input.dtype === 'int32';
    if (!values || values instanceof Int32Array !== wantsInts || values.length !== expected) {
      const got = values ? `${values.length} ${values instanceof Int32Array ? 'int32' : 'float32'} values` : 'none';
      throw new HeadstartError(
        'BAD_INPUT',
        `batch input "${input.name}": expected ${batch.size} samples of [${input.shape}] (${expected} ${input.dtype} values), got ${got}`,
      );
    }
    checkValues(spec, input.name, values);
    feeds[namedInput(input.name)] = wantsInts
      ? new ort.Tensor('int32', values as Int32Array, [batch.size, ...input.shape])
      : new ort.Tensor('float32', values as Float32Array, [batch.size, ...input.shape]);
  }
  return feeds;
}

/**
 * Token ids must index their embedding's table and padding masks be 0 or 1: onnxruntime would fail
 * with a stack on an id out of range, and a mask of 2 would pass for a token with a large score.
 */
function checkValues(spec: ModelSpec, name: string, values: Int32Array | Float32Array): void {
  for (const node of inferShapes(spec)) {
    const [first, mask] = node.inputs;
    const layer = node.layer;
    if (layer.type === 'embedding' && first === name) {
      const bad = values.findIndex((id) => !(id >= 0 && id < layer.vocabSize));
      if (bad >= 0)
        throw new HeadstartError(
          'BAD_INPUT',
          `batch input "${name}": token id ${values[bad]} (value ${bad}) is outside the vocabulary [0, ${layer.vocabSize}) of layer "${layer.name}"`,
        );
    }
    if ((layer.type === 'attention' || layer.type === 'sequencePool') && mask === name) {
      const bad = values.findIndex((m) => m !== 0 && m !== 1);
      if (bad >= 0) throw new HeadstartError('BAD_INPUT', `batch input "${name}": mask value ${values[bad]} (value ${bad}) is not 0 or 1`);
    }
  }
}
