import type { GraphProto, TensorProto } from '../onnx/onnx-proto.js';
import { tensorDims, tensorValues } from '../onnx/onnx-tensor.js';

/** A weight tensor of the imported graph. */
export interface Constant {
  dims: number[];
  values: Float32Array;
}

/**
 * The weights and constants a chain of nodes may read, by value name. A tensor of a type headstart
 * does not read (float16, strings …) is remembered with the reason, for the error of a node that
 * needs it: it may well sit in a part of the graph that never has to map.
 */
export class Constants {
  private readonly values = new Map<string, Constant>();
  private readonly unreadable = new Map<string, string>();

  /** A graph's initializers. */
  static of(graph: GraphProto): Constants {
    const constants = new Constants();
    for (const t of graph.initializer ?? []) constants.add(t.name ?? '', t);
    return constants;
  }

  /** Record a tensor under a value name. */
  add(name: string, tensor: TensorProto): void {
    try {
      this.values.set(name, { dims: tensorDims(tensor), values: tensorValues(tensor) });
    } catch (error) {
      this.unreadable.set(name, error instanceof Error ? error.message : String(error));
    }
  }

  /** Record `from`'s tensor (or why it cannot be read) under `name` too. */
  alias(name: string, from: string): void {
    const value = this.values.get(from);
    if (value) this.values.set(name, value);
    const unreadable = this.unreadable.get(from);
    if (unreadable !== undefined) this.unreadable.set(name, unreadable);
  }

  get(name: string): Constant | undefined {
    return this.values.get(name);
  }

  /** Why `name` is not a readable constant. */
  whyMissing(name: string): string {
    const unreadable = this.unreadable.get(name);
    return unreadable ? `its weight cannot be read (${unreadable})` : `its input "${name}" is computed, not a stored weight`;
  }

  /** A copy to extend without changing this one. */
  copy(): Constants {
    const copy = new Constants();
    for (const [name, c] of this.values) copy.values.set(name, c);
    for (const [name, why] of this.unreadable) copy.unreadable.set(name, why);
    return copy;
  }
}
