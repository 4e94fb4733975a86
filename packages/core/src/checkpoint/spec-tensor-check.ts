import { CheckpointError } from '../errors.js';
import type { ModelSpec } from '../spec/model-spec.js';
import { parameterShapes } from '../spec/shapes.js';
import { sameShape } from '../tensors.js';

/** Prefix of optimizer-state tensors in a checkpoint; they are not parameters of the spec. */
export const OPTIMIZER_PREFIX = 'optim.';

/**
 * Check that the tensors hold every parameter of the spec with exactly its shape, and nothing
 * else except optimizer state (`optim.*`).
 * @throws CheckpointError naming the parameter, the expected and the found shape.
 */
export function checkTensorsMatchSpec(file: string, spec: ModelSpec, tensors: Iterable<{ name: string; shape: number[] }>): void {
  const found = new Map<string, number[]>();
  for (const t of tensors) found.set(t.name, t.shape);
  const expected = parameterShapes(spec);
  for (const p of expected) {
    const shape = found.get(p.name);
    if (shape === undefined) throw new CheckpointError(file, `parameter ${p.name} is missing (expected shape ${show(p.shape)})`);
    if (!sameShape(shape, p.shape)) {
      throw new CheckpointError(file, `parameter ${p.name}: expected shape ${show(p.shape)}, found ${show(shape)}`);
    }
  }
  const known = new Set(expected.map((p) => p.name));
  for (const name of found.keys()) {
    if (!known.has(name) && !name.startsWith(OPTIMIZER_PREFIX)) {
      throw new CheckpointError(file, `tensor "${name}" is not a parameter of the spec (and not optimizer state under ${OPTIMIZER_PREFIX}*)`);
    }
  }
}

function show(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
