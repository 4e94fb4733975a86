import { HeadstartError, parameterShapes, sizeOf, type ModelSpec, type NamedTensors, type Rng, type TensorData } from '@headstart/core';
import { loraLayerNames } from './lora-spec.js';

/**
 * Starting values of the adapters of `targets` in a {@link withLora} spec, as PEFT starts them: A
 * kaiming-uniform (`U(±1/√fan_in)`, PyTorch's `kaiming_uniform_(a=√5)`), B zeros, so the model
 * starts as the base; the scale s·I with s = alpha/rank.
 */
export function loraWeights(spec: ModelSpec, targets: readonly string[], rank: number, alpha: number, rng: Rng): NamedTensors {
  const shapes = new Map(parameterShapes(spec).map((p) => [p.name, p.shape]));
  const weights: NamedTensors = new Map();
  for (const target of targets) {
    const names = loraLayerNames(target);
    const a = shapes.get(`${names.a}.kernel`)!;
    const bound = 1 / Math.sqrt(sizeOf(a) / rank);
    weights.set(
      `${names.a}.kernel`,
      filled(a, () => (rng.next() * 2 - 1) * bound),
    );
    const scale = shapes.get(`${names.scale}.kernel`)!;
    weights.set(
      `${names.scale}.kernel`,
      filled(scale, (i) => (i % (rank + 1) === 0 ? alpha / rank : 0)),
    );
    weights.set(
      `${names.b}.kernel`,
      filled(shapes.get(`${names.b}.kernel`)!, () => 0),
    );
  }
  return weights;
}

function filled(shape: number[], value: (i: number) => number): TensorData {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(i);
  return { shape: [...shape], data };
}

/**
 * The weights of `targets` with their adapters folded in: W' = W + A·S·B (S = s·I), each kernel
 * seen as `[fan_in, out]` (a conv's `[kh, kw, in, out]` row-major is that, and A's `[kh, kw, in, r]`
 * is `[fan_in, r]`); the adapters' tensors left out. Sums in float64, stored as float32.
 */
export function foldLora(weights: NamedTensors, targets: readonly string[]): NamedTensors {
  const folded: NamedTensors = new Map(weights);
  for (const target of targets) {
    const names = loraLayerNames(target);
    const kernel = tensor(weights, `${target}.kernel`);
    const a = tensor(weights, `${names.a}.kernel`);
    const scale = tensor(weights, `${names.scale}.kernel`);
    const b = tensor(weights, `${names.b}.kernel`);
    const out = kernel.shape.at(-1)!;
    const rank = a.shape.at(-1)!;
    const rows = kernel.data.length / out;
    const sb = product(scale.data, b.data, rank, rank, out);
    const delta = product(a.data, sb, rows, rank, out);
    const data = new Float32Array(kernel.data.length);
    for (let i = 0; i < data.length; i++) data[i] = kernel.data[i]! + delta[i]!;
    folded.set(`${target}.kernel`, { shape: [...kernel.shape], data });
    for (const layer of [names.a, names.scale, names.b]) folded.delete(`${layer}.kernel`);
  }
  return folded;
}

function tensor(weights: NamedTensors, name: string): TensorData {
  const t = weights.get(name);
  if (!t) throw new HeadstartError('BAD_INPUT', `merge: the adapter checkpoint has no ${name}`);
  return t;
}

/** `x [n, k] · y [k, m]`, row-major, in float64. */
function product(x: ArrayLike<number>, y: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const z = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      const xij = x[i * k + j]!;
      if (xij === 0) continue;
      for (let c = 0; c < m; c++) z[i * m + c]! += xij * y[j * m + c]!;
    }
  return z;
}
