import { meanLoss, referenceForward, type Weights64 } from '@headstart/conformance/reference';
import { createRng, inferShapes, parameterShapes, sizeOf, outputShape, validateSpec, type Batch, type LossKind, type ModelSpecInput } from '@headstart/core';
import { expect } from 'vitest';
import { graphGradients } from './gradient-graph.js';

/** Options of {@link checkGradients}. */
export interface CheckOptions {
  loss?: LossKind | undefined;
  n?: number | undefined;
  /** Parameters to check (default: every non-statistic), plus `x` for the input. */
  wrt?: string[] | undefined;
  training?: boolean | undefined;
  frozenBatchNorm?: string[] | undefined;
  /** Dropout layers to give a random mask. */
  dropout?: { layer: string; rate: number }[] | undefined;
  seed?: number | undefined;
  /** For a spec with named inputs: each input's `n × size` values (token ids, masks) by name. */
  inputs?: Record<string, number[]> | undefined;
}

/** Random float64 values in [-1, 1). */
export function randomValues(size: number, rng: { next(): number }): Float64Array {
  return Float64Array.from({ length: size }, () => rng.next() * 2 - 1);
}

/**
 * Check the graph's gradients of the mean loss against central finite differences of the float64
 * reference, and its forward output against the reference's.
 */
export async function checkGradients(specInput: ModelSpecInput, options: CheckOptions = {}): Promise<void> {
  const spec = validateSpec(specInput);
  const rng = createRng(options.seed ?? 7);
  const n = options.n ?? 3;
  const loss = options.loss ?? 'mse';
  const weights: Weights64 = new Map();
  for (const p of parameterShapes(spec)) {
    const values = randomValues(sizeOf(p.shape), rng);
    weights.set(p.name, p.name.endsWith('movingVariance') ? values.map((v) => 0.5 + Math.abs(v)) : values);
  }
  const x = randomValues(n * sizeOf(spec.inputShape), rng);
  const outputs = sizeOf(outputShape(spec));
  const target = loss === 'mse' ? randomValues(n * outputs, rng) : oneHot(n, outputs, rng);
  const masks = new Map((options.dropout ?? []).map(({ layer, rate }) => [layer, maskFor(spec, layer, n, rate, rng)]));
  const mode = { training: options.training ?? true, frozenBatchNorm: new Set(options.frozenBatchNorm ?? []) };
  const wrt = options.wrt ?? parameterShapes(spec).filter((p) => p.role !== 'statistic').map((p) => p.name);
  const named = options.inputs && new Map(Object.entries(options.inputs));
  const got = await graphGradients({ spec, loss, weights, x, named, target, n, wrt, masks, ...mode });
  // The conformance suite's float64 reference; the loss starts from the values before a final softmax.
  const batch = lossBatch(loss, target, n);
  const logits = (w: Weights64, input: Float64Array): Float64Array =>
    referenceForward(spec, w, named ?? input, n, { ...mode, dropoutMasks: masks, logits: true }).output;
  const objective = (w: Weights64, input: Float64Array): number => meanLoss(loss, logits(w, input), batch);
  expectClose(got.logits, logits(weights, x), 'forward output');
  expect(got.loss).toBeCloseTo(objective(weights, x), 4);
  for (const name of wrt) {
    const base = name === 'x' ? x : weights.get(name)!;
    const numeric = centralDifferences(base, (values) => (name === 'x' ? objective(weights, values) : objective(new Map([...weights, [name, values]]), x)));
    expectClose(got.grads.get(name)!, numeric, `gradient of ${name}`);
  }
}

/** Central finite differences of `f` at `values`, element by element, in float64. */
export function centralDifferences(values: Float64Array, f: (values: Float64Array) => number, h = 1e-5): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const plus = Float64Array.from(values);
    const minus = Float64Array.from(values);
    plus[i]! += h;
    minus[i]! -= h;
    out[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return out;
}

/** Every element within `1e-4 + 2e-3·|expected|` (float32 graph against float64 reference). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-4, rtol = 2e-3): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = { i: -1, excess: 0 };
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (atol + rtol * Math.abs(expected[i]!));
    if (excess > worst.excess) worst = { i, excess };
  }
  if (worst.i >= 0) expect.fail(`${what}: element ${worst.i} is ${actual[worst.i]}, expected ${expected[worst.i]}`);
}

/** The loss's view of the graph's target: class indices of a one-hot target, or the targets as the graph gets them (float32). */
function lossBatch(loss: LossKind, target: Float64Array, n: number): Batch {
  if (loss === 'mse') return { x: new Float32Array(0), size: n, targets: Float32Array.from(target) };
  const classes = target.length / n;
  return { x: new Float32Array(0), size: n, labels: Int32Array.from({ length: n }, (_, s) => target.subarray(s * classes, (s + 1) * classes).indexOf(1)) };
}

function oneHot(n: number, classes: number, rng: { int(k: number): number }): Float64Array {
  const out = new Float64Array(n * classes);
  for (let s = 0; s < n; s++) out[s * classes + rng.int(classes)] = 1;
  return out;
}

function maskFor(spec: ReturnType<typeof validateSpec>, layer: string, n: number, rate: number, rng: { next(): number }): Float64Array {
  const shape = inferShapes(spec).find((l) => l.layer.name === layer)!.inputShape;
  return Float64Array.from({ length: n * sizeOf(shape) }, () => (rng.next() < rate ? 0 : 1 / (1 - rate)));
}
