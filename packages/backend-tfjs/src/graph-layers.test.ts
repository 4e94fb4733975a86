import { referenceForward, toWeights64 } from '@headstart/conformance/reference';
import {
  createRng,
  outputShape,
  sizeOf,
  validateSpec,
  type Batch,
  type LayerInput,
  type Model,
  type ModelSpecInput,
  type NamedTensors,
} from '@headstart/core';
import { afterEach, describe, expect, test } from 'vitest';
import { referenceGradients, trainerGradients } from './__fixtures__/reference-gradients.js';
import { createTfjsBackend } from './base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];
afterEach(() => live.splice(0).forEach((m) => m.dispose()));

function values(count: number, seed: number, scale = 1, shift = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => (rng.next() * 2 - 1) * scale + shift);
}

/** Seeded weights with non-trivial biases and batch-norm statistics. */
function seeded(weights: NamedTensors, seed: number): NamedTensors {
  const rng = createRng(seed);
  return new Map(
    [...weights].map(([name, t]) => {
      const positive = name.endsWith('.movingVariance') || name.endsWith('.gamma');
      return [name, { shape: t.shape, data: t.data.map(() => (positive ? 0.5 + rng.next() : rng.next() - 0.5)) }];
    }),
  );
}

async function model(input: ModelSpecInput, seed = 1): Promise<Model> {
  const created = await backend.createModel(validateSpec(input), undefined, { seed });
  live.push(created);
  await created.setWeights(seeded(await created.getWeights(), seed + 100));
  return created;
}

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let max = 0;
  for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
  return max;
}

/** Forward within 1e-5 of the float64 reference (inference mode), and every gradient within 1e-4 + 1e-3·|g| of central differences. */
async function checkAgainstReference(
  input: ModelSpecInput,
  options: { n?: number; scale?: number; shift?: number } = {},
): Promise<Float32Array> {
  const m = await model(input);
  const n = options.n ?? 3;
  const x = values(n * sizeOf(m.spec.inputShape), 4, options.scale ?? 1, options.shift ?? 0);
  const weights = toWeights64(await m.getWeights());
  const got = await m.predict(x, n);
  expect(worst(got, referenceForward(m.spec, weights, x, n, { training: false }).output)).toBeLessThan(1e-5);
  const batch: Batch = { x, size: n, targets: values(n * sizeOf(outputShape(m.spec)), 5) };
  const names = m
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  const fromTrainer = await trainerGradients(m, batch, 'mse', names);
  const numeric = referenceGradients(m.spec, weights, batch, 'mse', names);
  for (const name of names) {
    const g = fromTrainer.get(name)!;
    const want = numeric.get(name)!;
    const excess = Math.max(...Array.from(g, (v, i) => Math.abs(v - want[i]!) - (1e-4 + 1e-3 * Math.abs(want[i]!))));
    expect(excess, `gradient of ${name}`).toBeLessThanOrEqual(0);
    expect(Math.max(...Array.from(want, Math.abs)), `gradient of ${name} is not all zero`).toBeGreaterThan(1e-4);
  }
  return got;
}

const conv = (name: string, extra: Partial<Extract<LayerInput, { type: 'conv2d' }>>): LayerInput => ({
  type: 'conv2d',
  name,
  filters: 4,
  kernelSize: 3,
  ...extra,
});

describe('layers against the float64 reference: forward within 1e-5, gradients against central differences', () => {
  test('convolution with explicit per-side pads (asymmetric, strided)', async () => {
    await checkAgainstReference({
      inputShape: [7, 6, 2],
      layers: [conv('c', { padding: [1, 0, 2, 1], strides: 2 }), { type: 'flatten', name: 'f' }],
    });
    await checkAgainstReference({
      inputShape: [6, 6, 2],
      layers: [conv('c', { padding: 3, kernelSize: 7, strides: 2 }), { type: 'flatten', name: 'f' }],
    });
  });

  test('max pooling pads with -Infinity: all-negative inputs give no 0 from a pad', async () => {
    const spec = {
      inputShape: [5, 5, 2],
      layers: [
        { type: 'maxPool2d' as const, name: 'p', poolSize: 3, strides: 2, padding: 1 },
        { type: 'flatten' as const, name: 'f' },
      ],
    };
    const m = await model(spec);
    const x = values(2 * 50, 3, 0.5, -1.5);
    const got = await m.predict(x, 2);
    expect(worst(got, referenceForward(m.spec, new Map(), x, 2, { training: false }).output)).toBeLessThan(1e-5);
    expect(Math.max(...got)).toBeLessThan(-0.9);
    // With a convolution before it, so its gradient goes through the padded max.
    await checkAgainstReference({
      inputShape: [5, 5, 2],
      layers: [conv('c', { padding: 'same' }), spec.layers[0]!, { type: 'flatten', name: 'f' }],
    });
  });

  test.each([true, false])('average pooling with explicit pads, countIncludePad %s', async (countIncludePad) => {
    const got = await checkAgainstReference({
      inputShape: [6, 5, 2],
      layers: [
        conv('c', { kernelSize: 1 }),
        { type: 'avgPool2d', name: 'p', poolSize: 3, strides: 2, padding: [1, 1, 0, 1], countIncludePad },
        { type: 'flatten', name: 'f' },
      ],
    });
    expect(got.length).toBe(3 * 3 * 3 * 4);
  });

  test('grouped convolution (groups 2)', async () => {
    await checkAgainstReference({
      inputShape: [5, 5, 4],
      layers: [conv('g', { groups: 2, filters: 6, padding: 1 }), { type: 'flatten', name: 'f' }],
    });
  });

  test.each([1, 2])('depthwise convolution (groups = channels), multiplier %i', async (multiplier) => {
    await checkAgainstReference({
      inputShape: [6, 5, 3],
      layers: [
        conv('dw', { groups: 3, filters: 3 * multiplier, strides: 2, padding: [1, 1, 1, 1], activation: 'relu6' }),
        { type: 'flatten', name: 'f' },
      ],
    });
  });

  test('relu6 clips at 0 and 6 (inputs up to ±20)', async () => {
    const got = await checkAgainstReference(
      {
        inputShape: [6],
        layers: [
          { type: 'dense', name: 'd', units: 8, activation: 'relu6' },
          { type: 'dense', name: 'o', units: 2 },
        ],
      },
      { n: 6, scale: 20 },
    );
    expect(got.length).toBe(12);
    const hidden = await checkAgainstReference(
      { inputShape: [6], layers: [{ type: 'dense', name: 'd', units: 8, activation: 'relu6' }] },
      { n: 6, scale: 20 },
    );
    expect(hidden.filter((v) => v === 6).length).toBeGreaterThan(0);
    expect(hidden.filter((v) => v === 0).length).toBeGreaterThan(0);
  });
});

/** A residual block with a batch norm on its branch, and a concat of the block with its input. */
const SMALL_RESIDUAL: ModelSpecInput = {
  inputShape: [4, 4, 2],
  layers: [
    conv('stem', { filters: 3, padding: 1 }),
    conv('c1', { filters: 3, padding: 1, activation: 'relu', useBias: false }),
    { type: 'batchNorm', name: 'bn1' },
    { type: 'add', name: 'sum', inputs: ['stem', 'bn1'] },
    { type: 'concat', name: 'cat', inputs: ['sum', 'stem'] },
    { type: 'globalAvgPool2d', name: 'gap' },
    { type: 'dense', name: 'head', units: 2 },
  ],
};
/** A MobileNetV2 inverted residual: 1×1 expand, relu6, depthwise 3×3, 1×1 linear projection, add. */
const SMALL_INVERTED: ModelSpecInput = {
  inputShape: [4, 4, 2],
  layers: [
    conv('stem', { filters: 3, kernelSize: 1 }),
    conv('expand', { filters: 6, kernelSize: 1, activation: 'relu6' }),
    conv('dw', { filters: 6, groups: 6, padding: 1, activation: 'relu6' }),
    conv('project', { filters: 3, kernelSize: 1 }),
    { type: 'add', name: 'sum', inputs: ['stem', 'project'] },
    { type: 'flatten', name: 'f' },
  ],
};

describe('graphs against the float64 reference', () => {
  test('a residual block with batch norm (training mode) and a concat', async () => {
    await checkAgainstReference(SMALL_RESIDUAL, { n: 4 });
  });

  test('a MobileNetV2 inverted-residual block', async () => {
    await checkAgainstReference(SMALL_INVERTED);
  });

  test('a final softmax layer of a graph is split off: logits come from its input', async () => {
    const spec: ModelSpecInput = {
      inputShape: [3],
      layers: [
        { type: 'dense', name: 'a', units: 4 },
        { type: 'dense', name: 'b', units: 4, inputs: ['input'] },
        { type: 'add', name: 'sum', inputs: ['a', 'b'] },
        { type: 'activation', name: 'probs', activation: 'softmax' },
      ],
    };
    const got = await checkAgainstReference(spec, { n: 2 });
    expect(got.subarray(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});
