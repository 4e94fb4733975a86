import { validateSpec, type LayerInput } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { withNewHead } from './head.js';

const block = (outputShape: number[]): LayerInput => ({
  type: 'onnx',
  name: 'base',
  inputShape: [8, 8, 2],
  outputShape,
  graphBytes: 100,
  unsupported: { op: 'LogSoftmax', node: '/LogSoftmax', reason: 'test' },
});

describe('withNewHead on an opaque ONNX block', () => {
  test('a block alone (a model ending in an op headstart cannot map) gets a dense head on its output', () => {
    const { spec, headLayers } = withNewHead(validateSpec({ inputShape: [8, 8, 2], layers: [block([10])] }), 3);
    expect(spec.layers.slice(1)).toEqual([{ type: 'dense', name: 'head', units: 3, activation: 'softmax', useBias: true }]);
    expect(headLayers).toEqual(['head']);
  });

  test('an image output is flattened first, and the new names avoid the layers there are', () => {
    const spec = validateSpec({
      inputShape: [8, 8, 2],
      layers: [block([4, 4, 6]), { type: 'activation', name: 'head', activation: 'relu' }],
    });
    const added = withNewHead(spec, 5);
    expect(added.spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual([
      'onnx:base',
      'activation:head',
      'flatten:head_flatten',
      'dense:head_1',
    ]);
    expect(added.headLayers).toEqual(['head_flatten', 'head_1']);
  });

  test('a dense layer after the block is resized as usual', () => {
    const spec = validateSpec({
      inputShape: [8, 8, 2],
      layers: [block([10]), { type: 'dense', name: 'fc', units: 10, activation: 'softmax' }],
    });
    const { spec: resized, headLayers } = withNewHead(spec, 4);
    expect(resized.layers[1]).toMatchObject({ name: 'fc', units: 4 });
    expect(headLayers).toEqual(['fc']);
  });
});
