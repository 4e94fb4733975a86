import { HeadstartError, type NamedTensors, type OptimizerConfig } from '@headstart/core';
import type { TrainedParameter } from '@headstart/core/backend-kit';
import { slotNames } from './optimizers.js';

const STEP = 'optim.step';

/**
 * A trainer's optimizer state: the step count and each trained parameter's slots in float32. Exchanged
 * as `optim.<slot>.<param>` tensors shaped like their parameter, plus `optim.step` (`[1]`): the names
 * every headstart backend uses, so a checkpoint's training resumes on any of them.
 */
export class OptimizerState {
  /** Steps taken so far. */
  steps = 0;
  private readonly slots = new Map<string, Map<string, Float32Array>>();

  constructor(
    config: OptimizerConfig,
    private readonly trained: readonly TrainedParameter[],
  ) {
    const names = slotNames(config);
    for (const p of trained)
      this.slots.set(p.name, new Map(names.map((slot) => [slot, new Float32Array(p.shape.reduce((a, b) => a * b, 1))])));
  }

  /** The live slots of a trained parameter. */
  of(parameter: string): ReadonlyMap<string, Float32Array> {
    return this.slots.get(parameter)!;
  }

  /** Copies of every slot, and `optim.step`. */
  read(): NamedTensors {
    const state: NamedTensors = new Map();
    for (const p of this.trained)
      for (const [slot, data] of this.of(p.name)) state.set(`optim.${slot}.${p.name}`, { shape: [...p.shape], data: data.slice() });
    state.set(STEP, { shape: [1], data: Float32Array.of(this.steps) });
    return state;
  }

  /**
   * Restore what {@link read} returned. Every slot must be there, and nothing else.
   * @throws HeadstartError (BAD_INPUT) naming the missing, unknown or mis-shaped tensor; nothing changes then.
   */
  write(state: NamedTensors): void {
    const step = state.get(STEP)?.data;
    if (step?.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0)
      throw new HeadstartError('BAD_INPUT', `optimizer state: "${STEP}" is missing or not one non-negative integer`);
    const known = new Set([STEP]);
    for (const p of this.trained) {
      for (const [slot, data] of this.of(p.name)) {
        const name = `optim.${slot}.${p.name}`;
        const tensor = state.get(name);
        if (!tensor) throw new HeadstartError('BAD_INPUT', `optimizer state: "${name}" is missing`);
        if (tensor.data.length !== data.length)
          throw new HeadstartError(
            'BAD_INPUT',
            `optimizer state: "${name}" has ${tensor.data.length} values; the parameter has ${data.length}`,
          );
        known.add(name);
      }
    }
    const unknown = [...state.keys()].find((name) => !known.has(name));
    if (unknown !== undefined) throw new HeadstartError('BAD_INPUT', `optimizer state: "${unknown}" is not a slot of this trainer`);
    for (const p of this.trained) for (const [slot, data] of this.of(p.name)) data.set(state.get(`optim.${slot}.${p.name}`)!.data);
    this.steps = step[0]!;
  }
}
