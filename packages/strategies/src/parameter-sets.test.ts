import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { checkTrainable, layerGroupsTopDown, trainableParameters } from './parameter-sets.js';

const imported = validateSpec({
  inputShape: [64],
  layers: [
    { type: 'onnx', name: 'base', inputShape: [64], outputShape: [48], graphBytes: 100, unsupported: { op: 'Sin', node: '/act/Sin' } },
    { type: 'dense', name: 'fc2', units: 10, activation: 'softmax' },
  ],
});

describe('parameter sets of a model with an opaque ONNX base', () => {
  test('count the block as a layer group a strategy may ask to train', () => {
    expect(trainableParameters(imported)).toEqual(['base.graph', 'fc2.kernel', 'fc2.bias']);
    expect(layerGroupsTopDown(imported).map((g) => g.layer)).toEqual(['fc2', 'base']);
  });

  test('checkTrainable fails before any work when the block would train, naming the op and node', () => {
    expect(() => checkTrainable(imported, ['fc2.kernel', 'fc2.bias'])).not.toThrow();
    expect(() => checkTrainable(imported, trainableParameters(imported))).toThrow(/^cannot train layer "base": it is an opaque ONNX block \(op Sin at node "\/act\/Sin"\) that runs forward only/);
  });
});
