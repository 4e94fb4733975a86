import { describe, expect, test } from 'vitest';
import { HeadstartError, isUserError, SpecError } from '../errors.js';
import { isChain, requireChain } from './chain.js';
import type { LayerInput } from './layers.js';
import { validateSpec, type ModelSpecInput } from './model-spec.js';
import { inferShapes, outputShape, parameterShapes } from './shapes.js';

/** A stem conv, then one residual block: conv → bn → relu → conv → add with the block input. */
const residual: ModelSpecInput = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'conv2d', name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', useBias: false },
    { type: 'batchNorm', name: 'bn1' },
    { type: 'activation', name: 'relu1', activation: 'relu' },
    { type: 'conv2d', name: 'conv2', filters: 4, kernelSize: 3, padding: 'same' },
    { type: 'add', name: 'res1', inputs: ['conv2', 'stem'] },
    { type: 'globalAvgPool2d', name: 'gap' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

/** Two branches of the input joined along the channels. */
const inception: ModelSpecInput = {
  inputShape: [6, 6, 2],
  layers: [
    { type: 'conv2d', name: 'a', filters: 3, kernelSize: 1, inputs: ['input'] },
    { type: 'conv2d', name: 'b', filters: 5, kernelSize: 3, padding: 'same', inputs: ['input'] },
    { type: 'concat', name: 'cat', inputs: ['a', 'b', 'input'] },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 2 },
  ],
};

function specError(input: unknown): string {
  try {
    validateSpec(input, 'net.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return (error as Error).message;
  }
  throw new Error('expected a SpecError');
}

function withLayers(base: ModelSpecInput, edit: (layers: LayerInput[]) => LayerInput[]): ModelSpecInput {
  return { ...base, layers: edit(base.layers.map((l) => ({ ...l }))) };
}

describe('a graph spec', () => {
  test("a residual block's shapes: every node's inputs, their shapes and its output", () => {
    const shapes = inferShapes(validateSpec(residual));
    expect(shapes.map((s) => [s.layer.name, s.inputs, s.inputShapes, s.outputShape])).toEqual([
      ['stem', ['input'], [[8, 8, 1]], [8, 8, 4]],
      ['conv1', ['stem'], [[8, 8, 4]], [8, 8, 4]],
      ['bn1', ['conv1'], [[8, 8, 4]], [8, 8, 4]],
      ['relu1', ['bn1'], [[8, 8, 4]], [8, 8, 4]],
      ['conv2', ['relu1'], [[8, 8, 4]], [8, 8, 4]],
      [
        'res1',
        ['conv2', 'stem'],
        [
          [8, 8, 4],
          [8, 8, 4],
        ],
        [8, 8, 4],
      ],
      ['gap', ['res1'], [[8, 8, 4]], [4]],
      ['head', ['gap'], [[4]], [3]],
    ]);
    expect(parameterShapes(validateSpec(residual)).map((p) => `${p.name} [${p.shape}]`)).toEqual([
      'stem.kernel [3,3,1,4]',
      'stem.bias [4]',
      'conv1.kernel [3,3,4,4]',
      'bn1.gamma [4]',
      'bn1.beta [4]',
      'bn1.movingMean [4]',
      'bn1.movingVariance [4]',
      'conv2.kernel [3,3,4,4]',
      'conv2.bias [4]',
      'head.kernel [4,3]',
      'head.bias [3]',
    ]);
  });

  test('concat joins its inputs along the last axis', () => {
    const spec = validateSpec(inception);
    const cat = inferShapes(spec).find((s) => s.layer.name === 'cat')!;
    expect(cat.inputShapes).toEqual([
      [6, 6, 3],
      [6, 6, 5],
      [6, 6, 2],
    ]);
    expect(cat.outputShape).toEqual([6, 6, 10]);
    expect(parameterShapes(spec).find((p) => p.name === 'head.kernel')!.shape).toEqual([360, 2]);
  });

  test('layers may be listed in any order: the walk is topological, parameters follow the listing', () => {
    const shuffled = withLayers(inception, ([a, b, ...rest]) => [b!, { ...a!, inputs: ['input'] }, ...rest]);
    const spec = validateSpec(shuffled);
    expect(inferShapes(spec).map((s) => s.layer.name)).toEqual(['b', 'a', 'cat', 'flat', 'head']);
    expect(parameterShapes(spec).map((p) => p.name)).toEqual(['b.kernel', 'b.bias', 'a.kernel', 'a.bias', 'head.kernel', 'head.bias']);
    expect(outputShape(spec)).toEqual([2]);
  });

  test('a chain written with inputs equal to the default is the same spec as without them', () => {
    const plain: ModelSpecInput = {
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'a', units: 3 },
        { type: 'dense', name: 'b', units: 2 },
      ],
    };
    const explicit = withLayers(plain, ([a, b]) => [
      { ...a!, inputs: ['input'] },
      { ...b!, inputs: ['a'] },
    ]);
    expect(validateSpec(explicit)).toEqual(validateSpec(plain));
    expect(JSON.stringify(validateSpec(explicit))).toBe(JSON.stringify(validateSpec(plain)));
    expect(isChain(validateSpec(explicit))).toBe(true);
  });

  test('a chain may still have a layer named "input" (a 0.1 spec could)', () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'input', units: 3 },
        { type: 'dense', name: 'out', units: 2 },
      ],
    });
    expect(parameterShapes(spec).map((p) => p.name)).toEqual(['input.kernel', 'input.bias', 'out.kernel', 'out.bias']);
  });

  test.each<[string, ModelSpecInput, string]>([
    [
      'a cycle',
      withLayers(residual, (l) => l.map((x) => (x.name === 'conv1' ? { ...x, inputs: ['relu1'] } : x))),
      'net.yaml: layers[1] "conv1": inputs: a cycle: "conv1" takes "relu1", which takes "bn1", which takes "conv1"; a layer cannot take its own output',
    ],
    [
      'a layer taking itself',
      withLayers(residual, (l) => l.map((x) => (x.name === 'res1' ? { ...x, inputs: ['conv2', 'res1'] } : x))),
      'net.yaml: layers[5] "res1": inputs: a cycle: "res1" takes "res1"; a layer cannot take its own output',
    ],
    [
      'a dangling input',
      withLayers(residual, (l) => l.map((x) => (x.name === 'res1' ? { ...x, inputs: ['conv2', 'stemm'] } : x))),
      'net.yaml: layers[5] "res1": inputs: "stemm" names no layer (nor "input", the model input)',
    ],
    [
      'add of two shapes',
      withLayers(residual, (l) => l.map((x) => (x.name === 'res1' ? { ...x, inputs: ['conv2', 'input'] } : x))),
      'net.yaml: layers[5] "res1": inputs: add needs inputs of one shape, but "conv2" gives [8,8,4] and "input" gives [8,8,1]',
    ],
    [
      'concat of other heights',
      withLayers(inception, (l) => l.map((x) => (x.name === 'b' ? { ...x, padding: 'valid' as const } : x))),
      'net.yaml: layers[2] "cat": inputs: concat joins along the last axis, so all other dimensions must be equal, but "a" gives [6,6,3] and "b" gives [4,4,5]',
    ],
    [
      'concat of other ranks',
      withLayers(inception, (l) => [
        ...l.slice(0, 2),
        { type: 'flatten', name: 'fa', inputs: ['a'] },
        { type: 'concat', name: 'cat', inputs: ['fa', 'b'] },
        ...l.slice(3),
      ]),
      'net.yaml: layers[3] "cat": inputs: concat joins along the last axis, so all other dimensions must be equal, but "fa" gives [108] and "b" gives [6,6,5]',
    ],
    [
      'a layer that does not fit its input in a graph',
      withLayers(residual, (l) => l.filter((x) => x.name !== 'gap')),
      'net.yaml: layers[6] "head": type: dense needs flat input but receives [8,8,4]; add a flatten layer before it',
    ],
    [
      'a duplicate name',
      withLayers(residual, (l) => l.map((x) => (x.name === 'conv2' ? { ...x, name: 'conv1' } : x))),
      'net.yaml: layers[4] "conv1": name: already used by layers[1]',
    ],
    [
      'an unused branch',
      withLayers(residual, (l) => [
        ...l.slice(0, 6),
        { type: 'conv2d', name: 'side', filters: 2, kernelSize: 1, inputs: ['stem'] },
        { ...l[6]!, inputs: ['res1'] },
        l[7]!,
      ]),
      'net.yaml: layers[6] "side": no layer takes its output, and only the last layer gives the model output; use it in a later layer\'s inputs or remove it',
    ],
    [
      'a merge with its default (one) input',
      withLayers(residual, (l) => l.map((x) => (x.name === 'res1' ? { type: 'add', name: 'res1' } : x))),
      'net.yaml: layers[5] "res1": inputs: add needs at least 2 inputs but has 1 (conv2); list them in inputs',
    ],
    [
      'a merge with one input',
      withLayers(inception, (l) => l.map((x) => (x.name === 'cat' ? { ...x, inputs: ['a'] } : x))),
      'net.yaml: layers[2] "cat": inputs: concat needs at least 2 inputs but has 1 (a); list them in inputs',
    ],
    [
      'a single-input layer with two',
      withLayers(residual, (l) => l.map((x) => (x.name === 'gap' ? { ...x, inputs: ['res1', 'stem'] } : x))),
      'net.yaml: layers[6] "gap": inputs: globalAvgPool2d takes one input but inputs lists 2 (res1, stem)',
    ],
    [
      '"input" naming both the model input and a layer',
      {
        inputShape: [4],
        layers: [
          { type: 'dense', name: 'input', units: 4 },
          { type: 'add', name: 'sum', inputs: ['input', 'input'] },
        ],
      },
      'net.yaml: layers[1] "sum": inputs: "input" is ambiguous: it is the model input and the name of layers[0]; rename that layer',
    ],
    [
      'an opaque block not taking the model input',
      {
        inputShape: [4],
        layers: [
          {
            type: 'onnx',
            name: 'o',
            inputShape: [4],
            outputShape: [2],
            graphBytes: 3,
            unsupported: { op: 'Sin', node: 's' },
            inputs: ['o2'],
          },
          { type: 'dense', name: 'o2', units: 4, inputs: ['input'] },
        ],
      },
      'net.yaml: layers[0] "o": type: an opaque ONNX block can only be the first layer',
    ],
    [
      'an unknown field (a typo of inputs)',
      withLayers(residual, (l) =>
        l.map((x) => (x.name === 'res1' ? ({ type: 'add', name: 'res1', input: ['conv2', 'stem'] } as unknown as LayerInput) : x)),
      ),
      'net.yaml: layers[5] "res1": input: unknown field for type add; expected one of type, name, inputs',
    ],
    [
      'an unknown field of the spec',
      { ...residual, outputs: ['head'] } as ModelSpecInput,
      'net.yaml: outputs: unknown field of a model spec; expected one of inputShape, inputs, layers',
    ],
    [
      'an empty inputs list',
      withLayers(residual, (l) => l.map((x) => (x.name === 'gap' ? { ...x, inputs: [] } : x))),
      'net.yaml: layers[6] "gap": inputs: Too small: expected array to have >=1 items',
    ],
  ])('refuses %s, naming the layer', (_case, input, message) => {
    expect(specError(input)).toBe(message);
  });
});

describe('isChain and requireChain', () => {
  test('a graph is refused in one line naming its first graph layer; a chain passes', () => {
    expect(isChain(validateSpec(residual))).toBe(false);
    let error: unknown;
    try {
      requireChain(validateSpec(residual), 'onnx');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HeadstartError);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toBe('layer "res1": graph models (add, concat, branches) are not supported by the onnx backend yet');
    // Branches without a merge layer: a layer not taking the one before it.
    expect(() => requireChain(validateSpec(inception), 'tfjs')).toThrow(
      'layer "b": graph models (add, concat, branches) are not supported by the tfjs backend yet',
    );
    expect(() =>
      requireChain(validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'a', units: 3, inputs: ['input'] }] }), 'onnx'),
    ).not.toThrow();
  });
});
