import { describe, expect, test } from 'vitest';
import { crossingValues, singleValueCuts, specBetween, stackSpecs } from './graph-cut.js';
import { validateSpec } from './model-spec.js';

/** stem → conv → res = conv + stem → flat → head, listed with the shortcut's source out of order. */
const residual = validateSpec({
  inputShape: [4, 4, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'conv2d', name: 'conv', filters: 2, kernelSize: 3, padding: 'same' },
    { type: 'add', name: 'res', inputs: ['conv', 'stem'] },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
});

describe('cutting a graph where one value crosses', () => {
  test('crossingValues: what the nodes from a position on take from before it', () => {
    expect([0, 1, 2, 3, 4].map((at) => crossingValues(residual, at))).toEqual([['input'], ['stem'], ['conv', 'stem'], ['res'], ['flat']]);
    expect(singleValueCuts(residual)).toEqual([0, 1, 3, 4]);
  });

  test('specBetween: the nodes between two cuts as a spec, taking the crossing value as its input', () => {
    const block = specBetween(residual, 1, 3);
    expect(block.inputShape).toEqual([4, 4, 2]);
    expect(block.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['conv', undefined],
      ['res', ['conv', 'input']],
    ]);
    expect(specBetween(residual, 0, 1).layers.map((l) => l.name)).toEqual(['stem']);
    expect(() => specBetween(residual, 2)).toThrow('a cut at position 2 is crossed by 2 values (conv, stem), not one');
  });

  test('the output node goes last, whatever the listing order, and a chain stays a chain', () => {
    const listed = validateSpec({
      inputShape: [3],
      layers: [
        { type: 'dense', name: 'b', units: 2, inputs: ['a'] },
        { type: 'dense', name: 'a', units: 2, inputs: ['input'] },
        { type: 'dense', name: 'c', units: 2, inputs: ['b'] },
      ],
    });
    const base = specBetween(listed, 0, 2);
    expect(base.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    const chain = validateSpec({
      inputShape: [3],
      layers: [
        { type: 'dense', name: 'x', units: 2 },
        { type: 'dense', name: 'y', units: 2 },
      ],
    });
    expect(specBetween(chain, 1)).toEqual(validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'y', units: 2 }] }));
  });

  test('stackSpecs puts the two halves back together', () => {
    expect(stackSpecs(specBetween(residual, 0, 1), specBetween(residual, 1))).toEqual(residual);
    expect(() => stackSpecs(residual, specBetween(residual, 4))).toThrow(/name: already used/);
  });
});
