import { describe, expect, test } from 'vitest';
import { createRng } from '../rng.js';
import { initializeWeights } from '../spec/initializers.js';
import { validateSpec } from '../spec/model-spec.js';
import { givenWeights } from './given-weights.js';

const spec = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'enc', units: 3 },
    { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
  ],
});
const all = initializeWeights(spec, createRng(1));
const base = new Map([...all].filter(([name]) => name.startsWith('enc.')));

describe('givenWeights', () => {
  test('every parameter given: the weights as they are; none given: undefined (all fresh)', () => {
    expect(givenWeights(spec, all)).toEqual(all);
    expect(givenWeights(spec, undefined)).toBeUndefined();
  });

  test('a missing parameter is refused, naming it and the option that asks for fresh values', () => {
    expect(() => givenWeights(spec, base)).toThrow(
      'weights: missing head.kernel, head.bias; give every parameter, or ask for fresh values for those layers (createModel option fresh: ["head"])',
    );
  });

  test('layers listed as fresh may be missing, and keep fresh values even when given', () => {
    expect([...givenWeights(spec, base, ['head'])!.keys()]).toEqual(['enc.kernel', 'enc.bias']);
    expect([...givenWeights(spec, all, ['head'])!.keys()]).toEqual(['enc.kernel', 'enc.bias']);
  });

  test('a fresh entry that is no layer is refused', () => {
    expect(() => givenWeights(spec, base, ['haed'])).toThrow('fresh: "haed" is not a layer of this model (it has enc, head)');
  });
});
