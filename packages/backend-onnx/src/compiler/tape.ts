import type { GraphBuilder } from './graph-builder.js';

/**
 * A gradient rule: given the gradients of an op's outputs (undefined where nothing flows back) and
 * which inputs need a gradient, emit nodes computing those inputs' gradients.
 */
export type GradientRule = (b: GraphBuilder, dOutputs: (string | undefined)[], needs: boolean[]) => (string | undefined)[];

/** One differentiable op as recorded during the forward pass. */
export interface TapeEntry {
  /** The op family, for error messages. */
  op: string;
  inputs: string[];
  outputs: string[];
  backward: GradientRule;
}

/**
 * Records the forward pass for reverse-mode differentiation. Only values that depend on a parameter
 * being trained are tracked, so nothing is emitted for the part of the network below the lowest
 * trainable layer.
 */
export class Tape {
  private readonly entries: TapeEntry[] = [];
  private readonly tracked = new Set<string>();

  /** Mark a value (a trained parameter) as one whose gradient is wanted. */
  watch(value: string): void {
    this.tracked.add(value);
  }

  /** Whether gradients flow to this value. */
  needsGradient(value: string): boolean {
    return this.tracked.has(value);
  }

  /** Record an op; ignored when none of its inputs is tracked. */
  record(entry: TapeEntry): void {
    if (!entry.inputs.some((input) => this.tracked.has(input))) return;
    for (const output of entry.outputs) this.tracked.add(output);
    this.entries.push(entry);
  }

  /**
   * Emit the backward pass from `seeds` (value → its gradient) and return the gradient of each
   * watched value in `wrt` (undefined when the loss does not depend on it).
   */
  gradients(b: GraphBuilder, seeds: Map<string, string>, wrt: readonly string[]): Map<string, string | undefined> {
    const grads = new Map(seeds);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      const dOutputs = entry.outputs.map((o) => grads.get(o));
      if (dOutputs.every((d) => d === undefined)) continue;
      const needs = entry.inputs.map((input) => this.tracked.has(input));
      const dInputs = entry.backward(b, dOutputs, needs);
      entry.inputs.forEach((input, k) => {
        const d = dInputs[k];
        if (!needs[k] || d === undefined) return;
        const earlier = grads.get(input);
        grads.set(input, earlier === undefined ? d : b.binary('Add', earlier, d));
      });
    }
    return new Map(wrt.map((name) => [name, grads.get(name)]));
  }
}

/** Where ops are emitted: the builder, and the tape when gradients will be wanted. */
export interface EmitContext {
  b: GraphBuilder;
  tape?: Tape | undefined;
}
