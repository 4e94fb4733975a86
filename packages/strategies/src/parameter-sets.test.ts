import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { checkTrainable, frozenParameters, layerGroupsTopDown, trainableParameters } from './parameter-sets.js';

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
    expect(layerGroupsTopDown(imported).map((g) => g.name)).toEqual(['fc2', 'base']);
  });

  test('checkTrainable fails before any work when the block would train, naming the op and node', () => {
    expect(() => checkTrainable(imported, ['fc2.kernel', 'fc2.bias'])).not.toThrow();
    expect(() => checkTrainable(imported, trainableParameters(imported))).toThrow(
      /^cannot train layer "base": it is an opaque ONNX block \(op Sin at node "\/act\/Sin"\) that runs forward only/,
    );
  });
});

describe('--freeze globs', () => {
  const names = ['enc1.kernel', 'enc1.bias', 'enc2.kernel', 'enc2.bias', 'enc3.kernel', 'enc3.bias', 'head.kernel', 'head.bias'];

  test('freeze the parameters any glob matches', () => {
    expect([...frozenParameters(names, ['enc1.*', '*.bias'])]).toEqual(['enc1.kernel', 'enc1.bias', 'enc2.bias', 'enc3.bias', 'head.bias']);
    expect(frozenParameters(names, []).size).toBe(0);
  });

  test('a glob that matches nothing is refused, listing a few names', () => {
    expect(() => frozenParameters(names, ['enc1.*', 'encoder*'])).toThrow(
      '--freeze encoder*: matches no trainable parameter; they are enc1.kernel, enc1.bias, enc2.kernel, enc2.bias, enc3.kernel, enc3.bias, … (8 in all)',
    );
    expect(() => frozenParameters(['fc.kernel', 'fc.bias'], ['fc.w'])).toThrow(
      '--freeze fc.w: matches no trainable parameter; they are fc.kernel, fc.bias',
    );
  });
});
