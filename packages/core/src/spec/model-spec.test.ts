import { describe, expect, test } from 'vitest';
import { SpecError } from '../errors.js';
import { createRng } from '../rng.js';
import { defaultModelSpec, withHeadUnits } from './default-spec.js';
import { initializeWeights } from './initializers.js';
import { validateSpec } from './model-spec.js';
import { inferShapes, parameterShapes } from './shapes.js';

const cnn = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'batchNorm', name: 'bn1' },
    { type: 'maxPool2d', name: 'pool1' },
    { type: 'flatten', name: 'flat' },
    { type: 'dropout', name: 'drop', rate: 0.25 },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
};

function specError(input: unknown): string {
  try {
    validateSpec(input, 'model.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return (error as Error).message;
  }
  throw new Error('expected a SpecError');
}

describe('validateSpec', () => {
  test('fills defaults and infers shapes and canonical parameter layouts', () => {
    const spec = validateSpec(cnn);
    expect(spec.layers[0]).toMatchObject({ strides: 1, useBias: true });
    expect(inferShapes(spec).map((l) => l.outputShape)).toEqual([[8, 8, 4], [8, 8, 4], [4, 4, 4], [64], [64], [10]]);
    expect(parameterShapes(spec).map((p) => `${p.name} [${p.shape}]`)).toEqual([
      'conv1.kernel [3,3,1,4]',
      'conv1.bias [4]',
      'bn1.gamma [4]',
      'bn1.beta [4]',
      'bn1.movingMean [4]',
      'bn1.movingVariance [4]',
      'head.kernel [64,10]',
      'head.bias [10]',
    ]);
  });

  test.each([
    [{ ...cnn, layers: [{ type: 'dense', name: 'a', units: 0 }] }, 'model.yaml: layers[0] "a": units: Too small: expected number to be >0'],
    [
      { inputShape: [4], layers: [{ type: 'dense', name: 'a', units: 'x' }] },
      'model.yaml: layers[0] "a": units: Invalid input: expected number, received string',
    ],
    [
      { inputShape: [4], layers: [{ type: 'denes', name: 'a', units: 3 }] },
      'model.yaml: layers[0] "a": type: unknown layer type "denes"; expected one of dense, conv2d, maxPool2d, avgPool2d, globalAvgPool2d, flatten, batchNorm, dropout, activation, add, concat, embedding, positionEmbedding, layerNorm, attention, sequencePool',
    ],
    [
      {
        inputShape: [4],
        layers: [
          { type: 'dense', name: 'a', units: 3 },
          { type: 'dense', name: 'a', units: 2 },
        ],
      },
      'model.yaml: layers[1] "a": name: already used by layers[0]',
    ],
    [
      { inputShape: [4], layers: [{ type: 'dense', name: 'my layer', units: 3 }] },
      'model.yaml: layers[0] "my layer": name: a name of letters, digits and _ (it prefixes parameter names like "<name>.kernel")',
    ],
    [
      { inputShape: [64], layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3 }] },
      'model.yaml: layers[0] "c": type: conv2d needs [height, width, channels] input but receives [64]; set inputShape like [8, 8, 1]',
    ],
    [
      { inputShape: [8, 8, 1], layers: [{ type: 'dense', name: 'd', units: 2 }] },
      'model.yaml: layers[0] "d": type: dense needs flat input but receives [8,8,1]; add a flatten layer before it',
    ],
    [
      { inputShape: [2, 2, 1], layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3 }] },
      'model.yaml: layers[0] "c": kernelSize: window 3 is larger than the input size 2',
    ],
    [{ inputShape: [4], layers: [] }, 'model.yaml: layers: Too small: expected array to have >=1 items'],
    [{ layers: [{ type: 'dense', name: 'a', units: 3 }] }, 'model.yaml: inputShape: Invalid input: expected array, received undefined'],
  ])('rejects %j with "%s"', (input, message) => {
    expect(specError(input)).toBe(message);
  });
});

describe('default specs and heads', () => {
  test('an MLP for flat data, a CNN for images, each ending in a softmax head', () => {
    expect(defaultModelSpec([64], 10).layers.map((l) => l.name)).toEqual(['enc1', 'enc2', 'head']);
    const cnnSpec = defaultModelSpec([8, 8, 1], 5);
    expect(cnnSpec.layers.map((l) => l.type)).toEqual(['conv2d', 'maxPool2d', 'conv2d', 'maxPool2d', 'flatten', 'dense', 'dense']);
    expect(inferShapes(cnnSpec).at(-1)!.outputShape).toEqual([5]);
  });

  test('samples of another rank (a JSONL matrix) are flattened into the MLP', () => {
    const spec = defaultModelSpec([8, 8], 3);
    expect(spec.layers.map((l) => l.name)).toEqual(['flatten', 'enc1', 'enc2', 'head']);
    expect(parameterShapes(spec)[0]!.shape).toEqual([64, 128]);
  });

  test('withHeadUnits refuses a model without a dense layer', () => {
    const spec = validateSpec({ inputShape: [4], layers: [{ type: 'activation', name: 'a', activation: 'relu' }] });
    expect(() => withHeadUnits(spec, 3)).toThrow(
      'model has no dense layer to size to the 3 classes; end it in a dense layer with a softmax activation',
    );
  });

  test('withHeadUnits resizes the last dense layer only', () => {
    const { spec, head } = withHeadUnits(defaultModelSpec([64], 10), 3);
    expect(head).toBe('head');
    expect(
      parameterShapes(spec)
        .filter((p) => p.layer === 'head')
        .map((p) => p.shape),
    ).toEqual([[64, 3], [3]]);
    expect(parameterShapes(spec).find((p) => p.name === 'enc2.kernel')!.shape).toEqual([128, 64]);
  });
});

describe('initializeWeights', () => {
  test('is deterministic per seed and follows Glorot-uniform bounds', () => {
    const spec = validateSpec(cnn);
    const a = initializeWeights(spec, createRng(7));
    const b = initializeWeights(spec, createRng(7));
    const c = initializeWeights(spec, createRng(8));
    expect(a.get('head.kernel')!.data).toEqual(b.get('head.kernel')!.data);
    expect(a.get('head.kernel')!.data).not.toEqual(c.get('head.kernel')!.data);
    const limit = Math.sqrt(6 / (64 + 10));
    expect(Math.max(...a.get('head.kernel')!.data.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect([...a.get('bn1.movingVariance')!.data]).toEqual([1, 1, 1, 1]);
    expect([...a.get('head.bias')!.data].every((v) => v === 0)).toBe(true);
  });
});
