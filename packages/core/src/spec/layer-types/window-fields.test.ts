import { describe, expect, test } from 'vitest';
import { inferShapes, validateSpec } from '../../index.js';
import { windowGeometry } from './geometry.js';

const image = (layers: object[]) => ({ inputShape: [32, 32, 3], layers }) as Parameters<typeof validateSpec>[0];
const outputOf = (layers: object[]) => inferShapes(validateSpec(image(layers))).at(-1)!.outputShape;

describe('explicit padding, as PyTorch gives it', () => {
  test('ResNet stem: a 7×7 convolution with stride 2 and padding 3, then a 3×3 max pool with stride 2 and padding 1', () => {
    expect(outputOf([{ type: 'conv2d', name: 'c', filters: 8, kernelSize: 7, strides: 2, padding: 3 }])).toEqual([16, 16, 8]);
    expect(
      outputOf([
        { type: 'conv2d', name: 'c', filters: 8, kernelSize: 7, strides: 2, padding: 3 },
        { type: 'maxPool2d', name: 'p', poolSize: 3, strides: 2, padding: 1 },
      ]),
    ).toEqual([8, 8, 8]);
  });

  test('[h, w] and [top, left, bottom, right] pad each side as written (ONNX pads order)', () => {
    expect(windowGeometry([5, 5], 3, 1, [1, 2]).pads).toEqual([1, 2, 1, 2]);
    expect(windowGeometry([5, 5], 3, 2, [0, 1, 1, 0])).toEqual({
      kernel: [3, 3],
      strides: [2, 2],
      pads: [0, 1, 1, 0],
      input: [5, 5],
      output: [2, 2],
    });
  });

  test('a negative or fractional pad, and a pool pad over half its window, are refused naming the field', () => {
    expect(() => validateSpec(image([{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3, padding: -1 }]))).toThrow(
      'layers[0] "c": padding: Too small: expected number to be >=0',
    );
    expect(() => validateSpec(image([{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3, padding: 'full' }]))).toThrow(
      'layers[0] "c": padding: expected "valid", "same", a pad p ≥ 0 for every side, [h, w] or [top, left, bottom, right]',
    );
    expect(() => validateSpec(image([{ type: 'maxPool2d', name: 'p', poolSize: 2, padding: 2 }]))).toThrow(
      'layers[0] "p": padding: 2 is more than half the pool window 2',
    );
    expect(() => validateSpec(image([{ type: 'maxPool2d', name: 'p', countIncludePad: true }]))).toThrow(
      'layers[0] "p": countIncludePad: only avgPool2d averages over pads; remove it from maxPool2d',
    );
  });
});

describe('grouped and depthwise convolution', () => {
  test('the kernel holds in / groups input channels per filter', () => {
    const depthwise = inferShapes(
      validateSpec(image([{ type: 'conv2d', name: 'dw', filters: 6, kernelSize: 3, padding: 1, groups: 3 }])),
    )[0]!;
    expect(depthwise.outputShape).toEqual([32, 32, 6]);
    expect(depthwise.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['dw.kernel', [3, 3, 1, 6]],
      ['dw.bias', [6]],
    ]);
  });

  test('groups that do not divide the channels are refused naming the field', () => {
    expect(() => validateSpec(image([{ type: 'conv2d', name: 'g', filters: 4, kernelSize: 1, groups: 2 }]))).toThrow(
      'layers[0] "g": groups: 2 must divide both the input channels (3) and filters (4)',
    );
  });

  test('a spec without the new fields validates to exactly what it did (no defaults added to checkpoints)', () => {
    const layer = validateSpec(image([{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3 }])).layers[0]!;
    expect(Object.keys(layer).sort()).toEqual(['activation', 'filters', 'kernelSize', 'name', 'padding', 'strides', 'type', 'useBias']);
  });
});
