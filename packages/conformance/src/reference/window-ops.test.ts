import { readFileSync } from 'node:fs';
import { validateSpec, type Conv2dLayer, type LayerInput, type Pool2dLayer } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { activate } from './activations.js';
import { conv2d, pool2d, type ImageShape } from './window-ops.js';

/** PyTorch's float64 outputs for the cases below (`__fixtures__/torch-window-ops.py` wrote them). */
const TORCH: Record<string, number[]> = JSON.parse(readFileSync(new URL('./__fixtures__/torch-window-ops.json', import.meta.url), 'utf8'));

/** The generator the PyTorch script uses, in channels-last order. */
const val = (i: number, a: number, b: number): number => (((i * a) % b) - Math.floor(b / 2)) / 4;
const generated = (length: number, a: number, b: number, scale = 1): Float64Array =>
  Float64Array.from({ length }, (_, i) => scale * val(i, a, b));

const IMAGE: ImageShape = [4, 5, 4];
const X = generated(4 * 5 * 4, 7, 11);

function layerOf<L>(layer: LayerInput): L {
  return validateSpec({ inputShape: [...IMAGE], layers: [layer] }).layers[0] as L;
}

function expectClose(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `[${i}]: ${v} vs PyTorch ${expected[i]}`).toBeLessThan(1e-9));
}

describe('window ops against PyTorch (float64)', () => {
  test('grouped conv2d (groups 2), stride 2, PyTorch padding=(1, 2): floor rule, [kh, kw, in/groups, out] kernel', () => {
    const layer = layerOf<Conv2dLayer>({
      type: 'conv2d',
      name: 'c',
      filters: 4,
      kernelSize: [3, 2],
      strides: 2,
      padding: [1, 2],
      groups: 2,
    });
    const out = conv2d(X, 1, IMAGE, layer, generated(3 * 2 * 2 * 4, 5, 13), Float64Array.of(0.5, -0.25, 0.125, 0));
    expectClose(out, TORCH.grouped!); // 2 × 4 × 4: floor((4 + 2 − 3)/2) + 1 rows, floor((5 + 4 − 2)/2) + 1 columns
  });

  test('depthwise conv2d with multiplier 2 (groups = channels = 4, 8 filters), padding 1, then relu6', () => {
    const layer = layerOf<Conv2dLayer>({ type: 'conv2d', name: 'c', filters: 8, kernelSize: 3, padding: 1, groups: 4, useBias: false });
    const out = activate('relu6', conv2d(X, 1, IMAGE, layer, generated(3 * 3 * 1 * 8, 3, 7, 3), undefined), 8);
    expectClose(out, TORCH.depthwiseRelu6!);
    expect(Math.max(...out)).toBe(6); // relu6 clipped somewhere
  });

  test('avgPool2d 3×3, stride 2, padding 1: countIncludePad divides by 9 (PyTorch default), else by the real values', () => {
    const pool = (countIncludePad: boolean): Float64Array =>
      pool2d(X, 1, IMAGE, layerOf<Pool2dLayer>({ type: 'avgPool2d', name: 'p', poolSize: 3, strides: 2, padding: 1, countIncludePad }));
    expectClose(pool(true), TORCH.avgIncludePad!);
    expectClose(pool(false), TORCH.avgExcludePad!);
  });

  test('maxPool2d 3×3, stride 2, padding 1 never picks a pad', () => {
    expectClose(
      pool2d(X, 1, IMAGE, layerOf<Pool2dLayer>({ type: 'maxPool2d', name: 'p', poolSize: 3, strides: 2, padding: 1 })),
      TORCH.max!,
    );
  });
});

describe('window ops by hand', () => {
  const row: ImageShape = [1, 3, 1];
  const rowLayer = <L>(layer: LayerInput): L => validateSpec({ inputShape: [...row], layers: [layer] }).layers[0] as L;

  test('explicit [top, left, bottom, right] pads: two zeros before a row, none after', () => {
    // Row [1, 2, 3] padded to [0, 0, 1, 2, 3] under a 1×2 kernel [10, 1]: 0, 1, 12, 23.
    const layer = rowLayer<Conv2dLayer>({
      type: 'conv2d',
      name: 'c',
      filters: 1,
      kernelSize: [1, 2],
      padding: [0, 2, 0, 0],
      useBias: false,
    });
    expect(Array.from(conv2d(Float64Array.of(1, 2, 3), 1, row, layer, Float64Array.of(10, 1), undefined))).toEqual([0, 1, 12, 23]);
  });

  test('groups: output channel o reads group floor(o / (filters / groups)); depthwise channel c·m + k is input c, filter k', () => {
    // 4 channels, 2 groups, 2 filters, kernel [1, 1, 2, 2] = [[1, 2], [3, 4]]: out0 = x0 + 3·x1, out1 = 2·x2 + 4·x3.
    const grouped = validateSpec({
      inputShape: [1, 1, 4],
      layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 1, groups: 2, useBias: false }],
    }).layers[0] as Conv2dLayer;
    expect(Array.from(conv2d(Float64Array.of(1, 2, 3, 4), 1, [1, 1, 4], grouped, Float64Array.of(1, 2, 3, 4), undefined))).toEqual([7, 22]);
    // 2 channels, depthwise with multiplier 2, kernel [1, 1, 1, 4] = [1, 2, 3, 4]: [1·a, 2·a, 3·b, 4·b].
    const depthwise = validateSpec({
      inputShape: [1, 1, 2],
      layers: [{ type: 'conv2d', name: 'c', filters: 4, kernelSize: 1, groups: 2, useBias: false }],
    }).layers[0] as Conv2dLayer;
    expect(Array.from(conv2d(Float64Array.of(1, 10), 1, [1, 1, 2], depthwise, Float64Array.of(1, 2, 3, 4), undefined))).toEqual([
      1, 2, 30, 40,
    ]);
  });

  test('avgPool2d countIncludePad counts the pads; maxPool2d ignores them, even when every real value is negative', () => {
    const avg = (countIncludePad: boolean): number[] =>
      Array.from(
        pool2d(
          Float64Array.of(2, 4, 6),
          1,
          row,
          rowLayer<Pool2dLayer>({ type: 'avgPool2d', name: 'p', poolSize: [1, 3], strides: 1, padding: [0, 1], countIncludePad }),
        ),
      );
    expect(avg(true)).toEqual([2, 4, 10 / 3]);
    expect(avg(false)).toEqual([3, 4, 5]);
    const max = rowLayer<Pool2dLayer>({ type: 'maxPool2d', name: 'p', poolSize: [1, 3], strides: 1, padding: [0, 1] });
    expect(Array.from(pool2d(Float64Array.of(-2, -4, -6), 1, row, max))).toEqual([-2, -2, -4]);
  });

  test('relu6 clips at 0 and 6', () => {
    expect(Array.from(activate('relu6', Float64Array.of(-1, 0, 3, 6, 7), 5))).toEqual([0, 0, 3, 6, 6]);
  });
});
