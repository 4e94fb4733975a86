import type { Batch } from '../backend.js';
import { HeadstartError } from '../errors.js';
import type { ModelInput, ModelSpec } from '../spec/model-spec.js';
import { inferShapes } from '../spec/shapes.js';
import { sizeOf } from '../tensors.js';

/** One named input of a batch, checked: its declaration and its values. */
export interface NamedInputValues {
  input: ModelInput;
  values: Int32Array | Float32Array;
}

/**
 * The values of each of a spec's named inputs in `batch.inputs`, in the spec's order, checked before
 * a backend runs them: present, of the declared element type and length, token ids inside their
 * embedding's vocabulary and padding masks 0 or 1 (a runtime would fail with a stack on an id out of
 * range, and a mask of 2 would pass for a token).
 * @throws HeadstartError (BAD_INPUT) naming the input and what is wrong, in one line.
 */
export function checkNamedInputs(spec: ModelSpec, batch: Batch): NamedInputValues[] {
  return (spec.inputs ?? []).map((input) => {
    const values = batch.inputs?.[input.name];
    const expected = batch.size * sizeOf(input.shape);
    if (!values || values instanceof Int32Array !== (input.dtype === 'int32') || values.length !== expected) {
      const got = values ? `${values.length} ${values instanceof Int32Array ? 'int32' : 'float32'} values` : 'none';
      throw new HeadstartError(
        'BAD_INPUT',
        `batch input "${input.name}": expected ${batch.size} samples of [${input.shape}] (${expected} ${input.dtype} values), got ${got}`,
      );
    }
    checkValues(spec, input.name, values);
    return { input, values };
  });
}

function checkValues(spec: ModelSpec, name: string, values: Int32Array | Float32Array): void {
  for (const { layer, inputs } of inferShapes(spec)) {
    if (layer.type === 'embedding' && inputs[0] === name) {
      const bad = values.findIndex((id) => !(id >= 0 && id < layer.vocabSize));
      if (bad >= 0)
        throw new HeadstartError(
          'BAD_INPUT',
          `batch input "${name}": token id ${values[bad]} (value ${bad}) is outside the vocabulary [0, ${layer.vocabSize}) of layer "${layer.name}"`,
        );
    }
    if ((layer.type === 'attention' || layer.type === 'sequencePool') && inputs[1] === name) {
      const bad = values.findIndex((m) => m !== 0 && m !== 1);
      if (bad >= 0) throw new HeadstartError('BAD_INPUT', `batch input "${name}": mask value ${values[bad]} (value ${bad}) is not 0 or 1`);
    }
  }
}

/**
 * The samples `start..start+count` of named inputs holding `size × product(shape)` values each (as
 * `Model.predictInputs` takes them), for a backend that predicts in chunks. Views, not copies.
 */
export function inputsChunk(
  spec: ModelSpec,
  inputs: Record<string, Int32Array | Float32Array>,
  start: number,
  count: number,
): Record<string, Int32Array | Float32Array> {
  const chunk: Record<string, Int32Array | Float32Array> = {};
  for (const input of spec.inputs ?? []) {
    const values = inputs[input.name];
    const width = sizeOf(input.shape);
    if (values) chunk[input.name] = values.subarray(start * width, (start + count) * width);
  }
  return chunk;
}
