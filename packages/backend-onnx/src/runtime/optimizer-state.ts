import { HeadstartError, type NamedTensors } from '@headstart/core';
import type { FlatGroupBuffers } from './flat-group.js';
import { checkTensor, type ParameterStore } from './parameter-store.js';

/** The name of the step counter in optimizer state. */
export const STEP_NAME = 'optim.step';

/**
 * The optimizer state of a trainer: the step count and each group's flat slot buffers, exchanged as
 * `optim.<slot>.<param>` tensors (each shaped and laid out like its parameter's canonical form: a
 * conv2d kernel's slots are converted from ONNX layout like the kernel) plus `optim.step` (`[1]`).
 */
export class OptimizerState {
  /** Steps taken so far. */
  steps = 0;

  constructor(
    private readonly groups: readonly FlatGroupBuffers[],
    private readonly params: ParameterStore,
  ) {}

  /** Copies of every slot plus `optim.step`. */
  read(): NamedTensors {
    const out: NamedTensors = new Map();
    this.forEachSlot((name, param, data) =>
      out.set(name, { shape: [...this.params.shapeOf(param)], data: this.params.toCanonical(param, data) }),
    );
    out.set(STEP_NAME, { shape: [1], data: Float32Array.of(this.steps) });
    return out;
  }

  /**
   * Restore what {@link read} returned. Every slot must be present; tensors of other optimizers are refused.
   * @throws HeadstartError (BAD_INPUT) naming the missing, unknown or mis-shaped tensor; nothing is changed then.
   */
  write(state: NamedTensors): void {
    const step = state.get(STEP_NAME);
    if (step?.data.length !== 1 || !(step.data[0]! >= 0))
      throw new HeadstartError('BAD_INPUT', `optimizer state: "${STEP_NAME}" is missing or not a [1] count`);
    const known = new Set<string>([STEP_NAME]);
    this.forEachSlot((name, param) => {
      const tensor = state.get(name);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `optimizer state: "${name}" is missing`);
      checkTensor(`optimizer state "${name}"`, this.params.shapeOf(param), tensor);
      known.add(name);
    });
    const unknown = [...state.keys()].find((name) => !known.has(name));
    if (unknown !== undefined) throw new HeadstartError('BAD_INPUT', `optimizer state: "${unknown}" is not a slot of this trainer`);
    this.forEachSlot((name, param, data) => data.set(this.params.toStored(param, state.get(name)!.data)));
    this.steps = step.data[0]!;
  }

  /** Visit each slot of each trained parameter (by name) with a view of its current values, stored layout. */
  private forEachSlot(visit: (name: string, param: string, data: Float32Array) => void): void {
    for (const group of this.groups) {
      for (const slot of group.slots()) {
        const flat = group.current(slot).data as Float32Array;
        for (const e of group.entries) visit(`optim.${slot}.${e.name}`, e.name, flat.subarray(e.offset, e.offset + e.size));
      }
    }
  }
}
