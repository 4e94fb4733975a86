import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { handResidual, miniMobilenet, miniResnet } from './__fixtures__/graph-specs.js';
import { encoderBlocks } from './encoder-blocks.js';
import { headIndex, splitAtHead, withNewHead } from './head.js';

const names = (spec: { layers: { name: string }[] }): string[] => spec.layers.map((l) => l.name);

describe('--head on a graph: a cut that one value alone crosses', () => {
  test('the default head of a ResNet is its fc; the base ends in the pooled features', () => {
    const split = splitAtHead(miniResnet());
    expect(names(split.head)).toEqual(['fc']);
    expect(split.head.inputShape).toEqual([8]);
    expect(names(split.base!).at(-1)).toBe('avgpool');
    expect(split.base!.layers).toEqual(miniResnet().layers.slice(0, -1));
  });

  test('a head from the start of a residual block takes the block input, its shortcut included, as its input', () => {
    const split = splitAtHead(miniResnet(), 'layer2_0_conv1');
    expect(split.head.inputShape).toEqual([8, 8, 4]);
    expect(names(split.base!).at(-1)).toBe('layer1_0_relu_1');
    expect(split.head.layers.find((l) => l.name === 'layer2_0_downsample_0')!.inputs).toEqual(['input']);
    expect(names(split.head)).toEqual(
      miniResnet()
        .layers.slice(10)
        .map((l) => l.name),
    );
  });

  test('a head inside a residual block is refused in one line naming the other value crossing, and where a head could start', () => {
    expect(() => headIndex(miniResnet(), 'layer2_0_bn1')).toThrow(
      '--head layer2_0_bn1: the head also takes "layer1_0_relu_1" from the base, besides "layer2_0_conv1"; a head must take one value from the base: try --head layer2_0_conv1 or --head layer2_0_relu_1',
    );
    expect(() => headIndex(handResidual(), 'res')).toThrow(
      '--head res: the head also takes "stem" from the base, besides "conv"; a head must take one value from the base: try --head conv or --head flat',
    );
    expect(() => withNewHead(miniResnet(), 5, 'layer1_0_add')).toThrow(/^--head layer1_0_add: the head also takes "relu" from the base/);
  });

  test('a default head that is not a single-value cut is refused, saying so', () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'a', units: 3 },
        { type: 'dense', name: 'b', units: 3 },
        { type: 'dense', name: 'c', units: 3, inputs: ['a'] },
        { type: 'concat', name: 'out', inputs: ['b', 'c'] },
      ],
    });
    expect(() => headIndex(spec)).toThrow(
      'the default head (from "c", the last layer with parameters) also takes "b" from the base, besides "a"; a head must take one value from the base: try --head b',
    );
  });

  test('withNewHead sizes the classifier and lists the head from its first layer, in topological order', () => {
    const { spec, headLayers } = withNewHead(miniMobilenet(), 3, 'features_3_0');
    expect(headLayers).toEqual(['features_3_0', 'features_3_1', 'features_3_2', 'pool', 'classifier_0', 'classifier_1']);
    expect(spec.layers.at(-1)).toMatchObject({ name: 'classifier_1', units: 3 });
  });

  test('a chain splits as before: base = the layers before the head, head = the rest', () => {
    const spec = validateSpec({
      inputShape: [6],
      layers: [
        { type: 'dense', name: 'enc', units: 4, activation: 'relu' },
        { type: 'dropout', name: 'drop', rate: 0.1 },
        { type: 'dense', name: 'out', units: 2, activation: 'softmax' },
      ],
    });
    const split = splitAtHead(spec, 'drop');
    expect(split).toEqual({
      index: 1,
      base: validateSpec({ inputShape: [6], layers: spec.layers.slice(0, 1) }),
      head: validateSpec({ inputShape: [4], layers: spec.layers.slice(1) }),
    });
  });
});

describe('greedy pre-training blocks of a graph encoder', () => {
  test('a residual block is one block: a graph is cut only where one value crosses', () => {
    const encoder = splitAtHead(miniResnet()).base!;
    const blocks = encoderBlocks(encoder);
    expect(blocks.map((b) => b.layer)).toEqual(['conv1', 'layer1_0_conv1', 'layer2_0_conv1']);
    expect(names(blocks[1]!.spec)).toEqual(
      miniResnet()
        .layers.slice(3, 10)
        .map((l) => l.name),
    );
    expect(blocks[2]!.spec.inputShape).toEqual([8, 8, 4]);
    expect(names(blocks[2]!.below!).at(-1)).toBe('layer1_0_relu_1');
  });
});
