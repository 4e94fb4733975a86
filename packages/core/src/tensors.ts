/** One tensor as core and backends exchange it: a row-major float32 buffer and its shape. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/**
 * Tensors by stable dotted name (`enc1.kernel`, `bn1.movingMean`, `optim.m.enc1.kernel`).
 * The currency between core and backends; insertion order is kept when written to a checkpoint.
 */
export type NamedTensors = Map<string, TensorData>;

/** Number of elements a shape holds (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** A deep copy, so a caller can keep weights that a backend will go on updating. */
export function cloneTensors(tensors: NamedTensors): NamedTensors {
  const copy: NamedTensors = new Map();
  for (const [name, t] of tensors) copy.set(name, { shape: [...t.shape], data: new Float32Array(t.data) });
  return copy;
}

/** Shapes equal, element by element. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
