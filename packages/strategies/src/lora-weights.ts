import { HeadstartError, parameterShapes, sizeOf, type ModelSpec, type NamedTensors, type Rng, type TensorData } from '@headstart/core';
import { parseProjectionSite, projectionAdapterNames, projectionScale } from './attention-lora.js';
import { loraLayerNames } from './lora-spec.js';

/**
 * Starting values of the adapters of `targets` in a {@link withLora} spec, as PEFT starts them: A
 * kaiming-uniform (`U(±1/√fan_in)`, PyTorch's `kaiming_uniform_(a=√5)`), B zeros, so the model
 * starts as the base; a dense or conv2d target's scale s·I with s = alpha/rank (an attention
 * projection's scale is in its layer's `lora`).
 */
export function loraWeights(spec: ModelSpec, targets: readonly string[], rank: number, alpha: number, rng: Rng): NamedTensors {
  const shapes = new Map(parameterShapes(spec).map((p) => [p.name, p.shape]));
  const weights: NamedTensors = new Map();
  const kaiming = (name: string) => {
    const a = shapes.get(name)!;
    const bound = 1 / Math.sqrt(sizeOf(a) / rank);
    weights.set(
      name,
      filled(a, () => (rng.next() * 2 - 1) * bound),
    );
  };
  for (const target of targets) {
    const site = parseProjectionSite(target);
    const names = site
      ? projectionAdapterNames(site)
      : { a: `${loraLayerNames(target).a}.kernel`, b: `${loraLayerNames(target).b}.kernel` };
    kaiming(names.a);
    if (!site) {
      const scale = `${loraLayerNames(target).scale}.kernel`;
      weights.set(
        scale,
        filled(shapes.get(scale)!, (i) => (i % (rank + 1) === 0 ? alpha / rank : 0)),
      );
    }
    weights.set(
      names.b,
      filled(shapes.get(names.b)!, () => 0),
    );
  }
  return weights;
}

/** The tensors of the adapter on `target` that train (A and B) and that stay frozen (a layer target's s·I). */
export function loraAdapterTensors(target: string): { trained: string[]; frozen: string[] } {
  const site = parseProjectionSite(target);
  if (site) {
    const { a, b } = projectionAdapterNames(site);
    return { trained: [a, b], frozen: [] };
  }
  const names = loraLayerNames(target);
  return { trained: [`${names.a}.kernel`, `${names.b}.kernel`], frozen: [`${names.scale}.kernel`] };
}

function filled(shape: number[], value: (i: number) => number): TensorData {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(i);
  return { shape: [...shape], data };
}

/**
 * The weights of `targets` with their adapters folded in: W' = W + A·S·B (S = s·I), each kernel
 * seen as `[fan_in, out]` (a conv's `[kh, kw, in, out]` row-major is that, and A's `[kh, kw, in, r]`
 * is `[fan_in, r]`); an attention projection's `pKernel` gets `s·pLoraA·pLoraB` with s = alpha/rank
 * from its layer in `spec` (the adapter's model). The adapters' tensors are left out. Sums in
 * float64, stored as float32.
 */
export function foldLora(weights: NamedTensors, targets: readonly string[], spec: ModelSpec): NamedTensors {
  const folded: NamedTensors = new Map(weights);
  for (const target of targets) {
    const site = parseProjectionSite(target);
    const names = site
      ? projectionAdapterNames(site)
      : { a: `${loraLayerNames(target).a}.kernel`, b: `${loraLayerNames(target).b}.kernel` };
    const kernelName = site ? `${site.layer}.${site.projection}Kernel` : `${target}.kernel`;
    const kernel = tensor(weights, kernelName);
    const a = tensor(weights, names.a);
    const b = tensor(weights, names.b);
    const out = kernel.shape.at(-1)!;
    const rank = a.shape.at(-1)!;
    const rows = kernel.data.length / out;
    const scale = site ? scaled(rank, projectionScale(spec, site)) : tensor(weights, `${loraLayerNames(target).scale}.kernel`).data;
    const delta = product(a.data, product(scale, b.data, rank, rank, out), rows, rank, out);
    const data = new Float32Array(kernel.data.length);
    for (let i = 0; i < data.length; i++) data[i] = kernel.data[i]! + delta[i]!;
    folded.set(kernelName, { shape: [...kernel.shape], data });
    for (const name of [...loraAdapterTensors(target).trained, ...loraAdapterTensors(target).frozen]) folded.delete(name);
  }
  return folded;
}

/** s·I, `rank × rank`. */
function scaled(rank: number, s: number): Float64Array {
  const identity = new Float64Array(rank * rank);
  for (let i = 0; i < rank; i++) identity[i * (rank + 1)] = s;
  return identity;
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
