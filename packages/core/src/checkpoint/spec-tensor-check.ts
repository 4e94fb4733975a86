import { CheckpointError } from '../errors.js';
import type { ModelSpec } from '../spec/model-spec.js';
import { parameterShapes, type ParameterShape } from '../spec/shapes.js';
import { sameShape } from '../tensors.js';
import type { SafetensorsDtype } from './safetensors-header.js';

/** Prefix of optimizer-state tensors in a checkpoint; they are not parameters of the spec. */
export const OPTIMIZER_PREFIX = 'optim.';

/**
 * Check that the tensors hold every parameter of the spec with exactly its shape (and, when the
 * entries say, its dtype: U8 for a `uint8` parameter, F32 for the rest), and nothing else except
 * optimizer state (`optim.*`). With `partial` (an adapter-only checkpoint) parameters may be missing:
 * they are the base's, checked when the base is read.
 * @throws CheckpointError naming the parameter, the expected and the found shape or dtype.
 */
export function checkTensorsMatchSpec(
  file: string,
  spec: ModelSpec,
  tensors: Iterable<{ name: string; shape: number[]; dtype?: SafetensorsDtype | undefined }>,
  partial = false,
): void {
  const found = new Map<string, { shape: number[]; dtype?: SafetensorsDtype | undefined }>();
  for (const t of tensors) found.set(t.name, t);
  const expected = parameterShapes(spec);
  for (const p of expected) {
    const tensor = found.get(p.name);
    if (tensor === undefined && partial) continue;
    if (tensor === undefined) throw new CheckpointError(file, `parameter ${p.name} is missing (expected shape ${show(p.shape)})`);
    if (!sameShape(tensor.shape, p.shape)) {
      throw new CheckpointError(file, `parameter ${p.name}: expected shape ${show(p.shape)}, found ${show(tensor.shape)}`);
    }
    const dtype = safetensorsDtype(p);
    if (tensor.dtype !== undefined && tensor.dtype !== dtype)
      throw new CheckpointError(file, `parameter ${p.name}: expected dtype ${dtype}, found ${tensor.dtype}`);
  }
  const known = new Set(expected.map((p) => p.name));
  for (const name of found.keys()) {
    if (!known.has(name) && !name.startsWith(OPTIMIZER_PREFIX)) {
      throw new CheckpointError(
        file,
        `tensor "${name}" is not a parameter of the spec (and not optimizer state under ${OPTIMIZER_PREFIX}*)`,
      );
    }
  }
}

/** The safetensors dtype a parameter is stored as. */
export function safetensorsDtype(p: ParameterShape): SafetensorsDtype {
  return p.dtype === 'uint8' ? 'U8' : 'F32';
}

function show(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
