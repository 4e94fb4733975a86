import { describe, expect, test } from 'vitest';
import { validateSpec, type ModelSpecInput } from './model-spec.js';
import { inferShapes, parameterShapes } from './shapes.js';

/**
 * Every layer type of release 0.1 in the configurations that change its parsed form, output shape
 * or parameters. The snapshot was taken before layer types moved into one module each: parameter
 * names, order and shapes are in every checkpoint, so they must never change.
 */
const specs: Record<string, ModelSpecInput> = {
  dense: {
    inputShape: [6],
    layers: [
      { type: 'dense', name: 'd1', units: 4 },
      { type: 'dense', name: 'd2', units: 3, activation: 'softmax', useBias: false },
    ],
  },
  conv2d: {
    inputShape: [9, 7, 2],
    layers: [
      { type: 'conv2d', name: 'c1', filters: 3, kernelSize: 3 },
      { type: 'conv2d', name: 'c2', filters: 5, kernelSize: [2, 3], strides: [2, 1], padding: 'same', activation: 'relu', useBias: false },
      { type: 'conv2d', name: 'c3', filters: 2, kernelSize: 1, strides: 2 },
    ],
  },
  pool2d: {
    inputShape: [9, 9, 3],
    layers: [
      { type: 'maxPool2d', name: 'p1' },
      { type: 'avgPool2d', name: 'p2', poolSize: [2, 1], strides: 1, padding: 'same' },
      { type: 'maxPool2d', name: 'p3', poolSize: 3, strides: [1, 2] },
    ],
  },
  globalAvgPool2d: { inputShape: [4, 5, 6], layers: [{ type: 'globalAvgPool2d', name: 'g' }] },
  flatten: {
    inputShape: [2, 3, 4],
    layers: [
      { type: 'flatten', name: 'f' },
      { type: 'flatten', name: 'f2' },
    ],
  },
  batchNorm: {
    inputShape: [4, 4, 3],
    layers: [
      { type: 'batchNorm', name: 'bn' },
      { type: 'flatten', name: 'f' },
      { type: 'batchNorm', name: 'bn2', momentum: 0.9, epsilon: 1e-5 },
    ],
  },
  dropout: { inputShape: [5], layers: [{ type: 'dropout', name: 'drop', rate: 0.5 }] },
  activation: { inputShape: [3, 3, 1], layers: [{ type: 'activation', name: 'a', activation: 'leakyRelu' }] },
  onnx: {
    inputShape: [8, 8, 1],
    layers: [
      {
        type: 'onnx',
        name: 'base',
        inputShape: [8, 8, 1],
        outputShape: [4, 4, 3],
        graphBytes: 12,
        unsupported: { op: 'Erf', node: '/act/Erf' },
      },
      { type: 'flatten', name: 'flat' },
      { type: 'dense', name: 'head', units: 2 },
    ],
  },
};

/** Spec errors of each layer type: their messages are part of the user interface. */
const errors: Record<string, ModelSpecInput> = {
  denseOnImage: { inputShape: [2, 2, 1], layers: [{ type: 'dense', name: 'd', units: 2 }] },
  conv2dOnFlat: { inputShape: [4], layers: [{ type: 'conv2d', name: 'c', filters: 1, kernelSize: 1 }] },
  conv2dTooLarge: { inputShape: [2, 5, 1], layers: [{ type: 'conv2d', name: 'c', filters: 1, kernelSize: [3, 1] }] },
  poolOnFlat: { inputShape: [4], layers: [{ type: 'avgPool2d', name: 'p' }] },
  poolTooLarge: { inputShape: [4, 4, 1], layers: [{ type: 'maxPool2d', name: 'p', poolSize: 5 }] },
  globalPoolOnFlat: { inputShape: [4], layers: [{ type: 'globalAvgPool2d', name: 'g' }] },
  onnxNotFirst: {
    inputShape: [4],
    layers: [
      { type: 'flatten', name: 'f' },
      { type: 'onnx', name: 'o', inputShape: [4], outputShape: [2], graphBytes: 3, unsupported: { op: 'Sin', node: 's' } },
    ],
  },
  onnxWrongInput: {
    inputShape: [5],
    layers: [{ type: 'onnx', name: 'o', inputShape: [4], outputShape: [2], graphBytes: 3, unsupported: { op: 'Sin', node: 's' } }],
  },
  dropoutRate: { inputShape: [4], layers: [{ type: 'dropout', name: 'd', rate: 1 }] },
  batchNormMomentum: { inputShape: [4], layers: [{ type: 'batchNorm', name: 'b', momentum: 2 }] },
  activationUnknown: { inputShape: [4], layers: [{ type: 'activation', name: 'a', activation: 'swish' as 'relu' }] },
  kernelSizeZero: { inputShape: [4, 4, 1], layers: [{ type: 'conv2d', name: 'c', filters: 1, kernelSize: 0 }] },
  paddingUnknown: { inputShape: [4, 4, 1], layers: [{ type: 'maxPool2d', name: 'p', padding: 'full' as 'same' }] },
};

function describeSpec(input: ModelSpecInput): unknown {
  const spec = validateSpec(input);
  return {
    layers: spec.layers,
    shapes: inferShapes(spec).map((l) => ({ name: l.layer.name, index: l.index, inputShape: l.inputShape, outputShape: l.outputShape })),
    parameters: parameterShapes(spec),
  };
}

function errorOf(input: ModelSpecInput): string {
  try {
    validateSpec(input, 'spec.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('layer types keep their 0.1 behaviour', () => {
  test('parsed layers, shapes and parameters equal the snapshot', async () => {
    const all = Object.fromEntries(Object.entries(specs).map(([type, input]) => [type, describeSpec(input)]));
    await expect(`${JSON.stringify(all, null, 1)}\n`).toMatchFileSnapshot('./__snapshots__/layer-types-0.1.json');
  });

  test('spec errors equal the snapshot', async () => {
    const all = Object.fromEntries(Object.entries(errors).map(([name, input]) => [name, errorOf(input)]));
    await expect(`${JSON.stringify(all, null, 1)}\n`).toMatchFileSnapshot('./__snapshots__/layer-type-errors-0.1.json');
  });
});
