import type { Rng } from '../rng.js';
import { sizeOf, type NamedTensors } from '../tensors.js';
import type { ModelSpec } from './model-spec.js';
import { parameterShapes, type ParameterShape } from './shapes.js';

/**
 * Fresh weights for a spec, drawn from the seeded RNG so every backend starts from the same numbers:
 * Glorot-uniform kernels (Keras's default), zero biases and shifts, unit scales and variances.
 * An opaque block's `graph` has no fresh value and is left out: it must come from its import.
 */
export function initializeWeights(spec: ModelSpec, rng: Rng): NamedTensors {
  const weights: NamedTensors = new Map();
  for (const p of parameterShapes(spec)) if (p.role !== 'graph') weights.set(p.name, { shape: [...p.shape], data: initialValues(p, rng) });
  return weights;
}

function initialValues(p: ParameterShape, rng: Rng): Float32Array {
  const data = new Float32Array(sizeOf(p.shape));
  if (p.role === 'kernel') {
    const [fanIn, fanOut] = fans(p.shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * limit;
  } else if (p.role === 'scale' || p.name.endsWith('.movingVariance')) {
    data.fill(1);
  }
  return data;
}

/** Fan-in and fan-out of a dense `[in, out]` or conv `[kh, kw, in, out]` kernel. */
function fans(shape: number[]): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [receptive * shape[shape.length - 2]!, receptive * shape[shape.length - 1]!];
}
