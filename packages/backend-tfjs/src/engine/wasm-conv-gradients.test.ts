import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerWasmConvGradients, WASM_CONV_GRADIENTS, WASM_REPLACED_KERNELS } from './wasm-conv-gradients.js';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  expect(await tf.setBackend('wasm')).toBe(true);
  registerWasmConvGradients();
});

/** Seeded values in [-1, 1). */
function values(shape: number[], seed: number): tf.Tensor {
  let state = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
  return tf.tensor(data, shape);
}

/** The kernel's result on `engine`, as plain numbers. */
function run(
  engine: 'wasm' | 'cpu',
  kernel: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): { shape: number[]; data: Float32Array } {
  tf.setBackend(engine);
  const out = tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { shape: out.shape, data: out.dataSync() as Float32Array };
  out.dispose();
  tf.setBackend('wasm');
  return result;
}

function expectClose(wasm: { shape: number[]; data: Float32Array }, cpu: { shape: number[]; data: Float32Array }): void {
  expect(wasm.shape).toEqual(cpu.shape);
  const scale = Math.max(1, ...cpu.data.map(Math.abs));
  const worst = wasm.data.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu.data[i]!)), 0);
  expect(worst / scale).toBeLessThan(1e-5);
}

/** Output size of a window over `n` with this kernel, stride, dilation and tfjs padding. */
function outShape(x: number[], filter: number[], strides: number, pad: unknown, dilations = 1, depthwise = false): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides,
    dilations,
    pad as 'same',
    undefined,
    depthwise,
  );
  return info.outShape;
}

const PADS: unknown[] = [
  'same',
  'valid',
  1,
  [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
];

describe('convolution gradients registered for the wasm engine', () => {
  test('the wasm engine now runs ours, registering twice changes nothing', () => {
    registerWasmConvGradients();
    for (const { kernelName, kernelFunc } of [...WASM_CONV_GRADIENTS, ...WASM_REPLACED_KERNELS])
      expect(tf.getKernel(kernelName, 'wasm')?.kernelFunc).toBe(kernelFunc);
  });

  // tfjs-backend-wasm 4.22's own MaxPoolGrad sends a window's gradient elsewhere when its values are all negative.
  test.each([
    [2, 2, 'valid'],
    [2, 1, 'same'],
    [3, 2, 'same'],
    [3, 2, 1],
    [3, 1, 'valid'],
  ] as const)('MaxPoolGrad matches the cpu engine on negative values and ties (pool %i, stride %i, pad %j)', (size, stride, pad) => {
    const xShape = [2, 7, 6, 3];
    const negative = tf.sub(values(xShape, 11), 2);
    // Rounded to a few values: windows with several maxima, which go to the first, row by row.
    const ties = tf.round(tf.mul(values(xShape, 12), 2));
    for (const x of [negative, ties]) {
      const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], size, stride, 1, pad);
      const dy = values(info.outShape, 13);
      const output = tf.maxPool(x as tf.Tensor4D, size, stride, pad);
      const attrs = { filterSize: size, strides: stride, pad };
      const inputs = { dy, input: x, output };
      expectClose(run('wasm', 'MaxPoolGrad', inputs, attrs), run('cpu', 'MaxPoolGrad', inputs, attrs));
    }
  });

  describe.each([1, 2, 3])('stride %i', (stride) => {
    test.each(PADS)('Conv2DBackpropFilter matches the cpu engine (pad %j)', (pad) => {
      const x = values([2, 9, 8, 3], 1);
      const filterShape = [3, 2, 3, 5];
      const dy = values(outShape(x.shape, filterShape, stride, pad), 2);
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape };
      expectClose(run('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs), run('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs));
    });

    // tfjs differentiates depthwise convolutions only without dilation (its gradient refuses dilations > 1).
    test.each(PADS)('depthwise gradients match the cpu engine, multiplier 1 and 3 (pad %j)', (pad) => {
      for (const multiplier of [1, 3]) {
        const dilations = 1;
        const x = values([2, 9, 8, 4], 3);
        const filter = values([3, 2, 4, multiplier], 4);
        const dy = values(outShape(x.shape, filter.shape, stride, pad, dilations, true), 5);
        const filterAttrs = { strides: stride, pad, dilations, filterShape: filter.shape };
        const kernel = 'DepthwiseConv2dNativeBackpropFilter';
        expectClose(run('wasm', kernel, { x, dy }, filterAttrs), run('cpu', kernel, { x, dy }, filterAttrs));
        const inputAttrs = { strides: stride, pad, dilations, inputShape: x.shape };
        const input = 'DepthwiseConv2dNativeBackpropInput';
        expectClose(run('wasm', input, { dy, filter }, inputAttrs), run('cpu', input, { dy, filter }, inputAttrs));
      }
    });
  });

  test('a gradient leaves no data behind on the wasm engine but its result, and its inputs intact', () => {
    const x = values([2, 6, 6, 3], 6);
    const dy = values([2, 6, 6, 4], 7);
    const filter = values([3, 3, 3, 1], 8);
    const dy3 = tf.slice(dy, 0, [2, 6, 6, 3]);
    const copies = [x, dy, filter, dy3].map((t) => t.dataSync().slice());
    const backend = tf.findBackend('wasm')!;
    const before = backend.numDataIds();
    const grads = [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }),
      tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy: dy3 },
          { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 3, 1] },
        ),
      tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: dy3, filter },
          { strides: 2, pad: 'same', dilations: 1, inputShape: [2, 11, 12, 3] },
        ),
      tf.engine().runKernel('MaxPoolGrad', { dy: dy3, input: dy3, output: dy3 }, { filterSize: 1, strides: 1, pad: 'valid' }),
    ] as tf.Tensor[];
    expect(backend.numDataIds() - before).toBe(grads.length);
    for (const g of grads) g.dataSync();
    tf.dispose(grads);
    expect(backend.numDataIds()).toBe(before);
    expect([x, dy, filter, dy3].map((t) => t.dataSync())).toEqual(copies);
    tf.dispose([x, dy, filter, dy3]);
  });

  test('dilated depthwise gradients, which tfjs never asks for, are refused rather than guessed', () => {
    const x = values([1, 5, 5, 2], 9);
    const dy = values([1, 5, 5, 2], 10);
    expect(() =>
      tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dilations: 2, filterShape: [3, 3, 2, 1] }),
    ).toThrow('tfjs wasm DepthwiseConv2dNativeBackpropFilter: dilations other than 1 are not supported');
    tf.dispose([x, dy]);
  });
});
