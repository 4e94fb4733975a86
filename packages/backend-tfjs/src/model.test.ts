import {
  createRng,
  initializeWeights,
  validateSpec,
  type Model,
  type ModelSpec,
  type ModelSpecInput,
  type NamedTensors,
} from '@headstart/core';
import { afterEach, describe, expect, test } from 'vitest';
import { referenceForward, toWeights64 } from '@headstart/conformance/reference';
import { createTfjsBackend } from './base.js';

const backend = createTfjsBackend({ note: () => {} });
const live: Model[] = [];

async function model(input: ModelSpecInput, seed = 1, weights?: NamedTensors): Promise<Model> {
  const created = await backend.createModel(validateSpec(input), weights, { seed });
  live.push(created);
  return created;
}

afterEach(() => live.splice(0).forEach((m) => m.dispose()));

function randomInput(values: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: values }, () => rng.next() * 2 - 1);
}

/** Weights with non-trivial biases and batch-norm statistics, so the reference check sees them. */
function perturbed(weights: NamedTensors, seed: number): NamedTensors {
  const rng = createRng(seed);
  for (const [name, t] of weights) {
    if (name.endsWith('.kernel')) continue;
    const positive = name.endsWith('.movingVariance') || name.endsWith('.gamma');
    t.data.forEach((_, i) => (t.data[i] = positive ? 0.5 + rng.next() : rng.next() - 0.5));
  }
  return weights;
}

function expectClose(got: Float32Array, want: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(want.length);
  const worst = got.reduce((max, v, i) => Math.max(max, Math.abs(v - want[i]!)), 0);
  expect(worst).toBeLessThan(tolerance);
}

/** The conformance suite's float64 forward pass in inference mode: what `predict` should give. */
function reference(spec: ModelSpec, weights: NamedTensors, x: Float32Array, size: number): Float64Array {
  return referenceForward(spec, toWeights64(weights), x, size, { training: false }).output;
}

describe('tfjs model', () => {
  test('predict of a dense model matches a plain-JS forward pass within 1e-5', async () => {
    const spec = {
      inputShape: [64],
      layers: [
        { type: 'dense' as const, name: 'enc1', units: 32, activation: 'relu' as const },
        { type: 'dense' as const, name: 'enc2', units: 16, activation: 'gelu' as const },
        { type: 'dense' as const, name: 'enc3', units: 16, activation: 'leakyRelu' as const },
        { type: 'dense' as const, name: 'enc4', units: 16, activation: 'tanh' as const, useBias: false },
        { type: 'dense' as const, name: 'enc5', units: 12, activation: 'sigmoid' as const },
        { type: 'dense' as const, name: 'head', units: 10, activation: 'softmax' as const },
      ],
    };
    const m = await model(spec);
    await m.setWeights(perturbed(await m.getWeights(), 5));
    const x = randomInput(64 * 50, 3);
    const got = await m.predict(x, 50);
    expectClose(got, reference(m.spec, await m.getWeights(), x, 50), 1e-5);
    for (let n = 0; n < 50; n++) expect(got.subarray(n * 10, n * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  test('conv, pooling, batch norm (inference), flatten and dropout match the plain-JS forward', async () => {
    const m = await model({
      inputShape: [7, 10, 2],
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'batchNorm', name: 'bn1' },
        { type: 'avgPool2d', name: 'pool1', poolSize: 2, padding: 'same' },
        { type: 'conv2d', name: 'conv2', filters: 3, kernelSize: [2, 3], strides: [1, 2], activation: 'linear' },
        { type: 'dropout', name: 'drop', rate: 0.5 },
        { type: 'maxPool2d', name: 'pool2', poolSize: 2, strides: 1 },
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'head', units: 5, activation: 'softmax' },
      ],
    });
    await m.setWeights(perturbed(await m.getWeights(), 9));
    const x = randomInput(7 * 10 * 2 * 20, 4);
    expectClose(await m.predict(x, 20), reference(m.spec, await m.getWeights(), x, 20), 1e-5);
  });

  test('global average pooling and a stand-alone softmax match the plain-JS forward', async () => {
    const m = await model({
      inputShape: [5, 5, 3],
      layers: [
        { type: 'conv2d', name: 'conv', filters: 6, kernelSize: 3, activation: 'tanh' },
        { type: 'globalAvgPool2d', name: 'gap' },
        { type: 'activation', name: 'out', activation: 'softmax' },
      ],
    });
    const x = randomInput(5 * 5 * 3 * 8, 6);
    expectClose(await m.predict(x, 8), reference(m.spec, await m.getWeights(), x, 8), 1e-5);
  });

  test('fresh weights are core initializer values for the seed; given weights override them, and must all be given', async () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'd', units: 3 },
        { type: 'batchNorm', name: 'bn' },
      ],
    });
    const m = await model(spec, 42);
    expect(await m.getWeights()).toEqual(initializeWeights(spec, createRng(42)));
    const kernel = { shape: [4, 3], data: new Float32Array(12).fill(0.5) };
    await expect(model(spec, 42, new Map([['d.kernel', kernel]]))).rejects.toThrow(
      'weights: missing d.bias, bn.gamma, bn.beta, bn.movingMean, bn.movingVariance; give every parameter, or ask for fresh values for those layers (createModel option fresh: ["d","bn"])',
    );
    const given = new Map([...initializeWeights(spec, createRng(7)), ['d.kernel', kernel]]);
    expect(await (await model(spec, 42, given)).getWeights()).toEqual(given);
    expect(m.parameters().map((p) => [p.name, p.trainable])).toEqual([
      ['d.kernel', true],
      ['d.bias', true],
      ['bn.gamma', true],
      ['bn.beta', true],
      ['bn.movingMean', false],
      ['bn.movingVariance', false],
    ]);
    // Dense and batch norm only: the wasm engine has every kernel training it needs.
    expect(m.engine).toBe('tfjs/wasm');
  });

  test('getWeights returns copies and setWeights copies its input', async () => {
    const m = await model({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 2 }] });
    const weights = await m.getWeights();
    weights.get('d.bias')!.data[0] = 7;
    expect((await m.getWeights()).get('d.bias')!.data[0]).toBe(0);
    const bias = { shape: [2], data: Float32Array.of(1, 2) };
    await m.setWeights(new Map([['d.bias', bias]]));
    bias.data[0] = 9;
    expect((await m.getWeights()).get('d.bias')!.data).toEqual(Float32Array.of(1, 2));
  });

  test('setWeights refuses unknown names and wrong shapes, naming the parameter, and changes nothing', async () => {
    const m = await model({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 2 }] });
    const before = await m.getWeights();
    const good = { shape: [2], data: Float32Array.of(1, 2) };
    await expect(
      m.setWeights(
        new Map([
          ['d.bias', good],
          ['d.gamma', good],
        ]),
      ),
    ).rejects.toThrow('unknown parameter "d.gamma"; this model has d.kernel, d.bias');
    await expect(m.setWeights(new Map([['d.kernel', { shape: [2, 3], data: new Float32Array(6) }]]))).rejects.toThrow(
      `parameter "d.kernel": shape [2,3] does not match the model's [2,2]`,
    );
    await expect(m.setWeights(new Map([['d.bias', { shape: [2], data: new Float32Array(3) }]]))).rejects.toThrow(
      'parameter "d.bias": 3 values for shape [2]',
    );
    expect(await m.getWeights()).toEqual(before);
  });

  test('predict refuses a buffer of the wrong size and handles more samples than one chunk', async () => {
    const m = await model({ inputShape: [3], layers: [{ type: 'dense', name: 'd', units: 2, activation: 'softmax' }] });
    await expect(m.predict(new Float32Array(7), 3)).rejects.toThrow('expected 3 samples of 3 features (9 values), got 7 values');
    const x = randomInput(3 * 2500, 8);
    const all = await m.predict(x, 2500);
    expect(all.length).toBe(5000);
    expect(all.subarray(4000)).toEqual(await m.predict(x.subarray(3 * 2000), 500));
  });
});
