import { HeadstartError, type NamedTensors } from '@headstart/core';
import type { FlatGroupBuffers } from './flat-group.js';
import { checkTensor } from './parameter-store.js';

/** The name of the step counter in optimizer state. */
export const STEP_NAME = 'optim.step';

/**
 * The optimizer state of a trainer: the step count and each group's flat slot buffers, exchanged as
 * `optim.<slot>.<param>` tensors (each shaped like its parameter) plus `optim.step` (`[1]`).
 */
export class OptimizerState {
  /** Steps taken so far. */
  steps = 0;

  constructor(private readonly groups: readonly FlatGroupBuffers[]) {}

  /** Copies of every slot plus `optim.step`. */
  read(): NamedTensors {
    const out: NamedTensors = new Map();
    this.forEachSlot((name, shape, data) => out.set(name, { shape: [...shape], data: new Float32Array(data) }));
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
    this.forEachSlot((name, shape) => {
      const tensor = state.get(name);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `optimizer state: "${name}" is missing`);
      checkTensor(`optimizer state "${name}"`, shape, tensor);
      known.add(name);
    });
    const unknown = [...state.keys()].find((name) => !known.has(name));
    if (unknown !== undefined) throw new HeadstartError('BAD_INPUT', `optimizer state: "${unknown}" is not a slot of this trainer`);
    this.forEachSlot((name, _shape, data) => data.set(state.get(name)!.data));
    this.steps = step.data[0]!;
  }

  /** Visit each slot of each trained parameter with a view of its current values. */
  private forEachSlot(visit: (name: string, shape: number[], data: Float32Array) => void): void {
    for (const group of this.groups) {
      for (const slot of group.slots()) {
        const flat = group.current(slot).data as Float32Array;
        for (const e of group.entries) visit(`optim.${slot}.${e.name}`, e.shape, flat.subarray(e.offset, e.offset + e.size));
      }
    }
  }
}
