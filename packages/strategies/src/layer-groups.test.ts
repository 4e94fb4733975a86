import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { handResidual, miniMobilenet, miniResnet } from './__fixtures__/graph-specs.js';
import { blockKey, layerGroups } from './layer-groups.js';
import { discriminativeGroups, trainableParameters } from './parameter-sets.js';

const summary = (groups: { name: string; layers: string[] }[]): string[] => groups.map((g) => `${g.name}: ${g.layers.join(' ')}`);

describe('layer groups of a graph: its blocks', () => {
  test('a ResNet: the stem, each residual block (from its first node to the merge, with what follows without parameters), the head', () => {
    expect(summary(layerGroups(miniResnet(), 'fc'))).toEqual([
      'conv1…relu: conv1 bn1 relu',
      'layer1_0: layer1_0_conv1 layer1_0_bn1 layer1_0_relu layer1_0_conv2 layer1_0_bn2 layer1_0_add layer1_0_relu_1',
      'layer2_0: layer2_0_conv1 layer2_0_bn1 layer2_0_relu layer2_0_conv2 layer2_0_bn2 layer2_0_downsample_0 layer2_0_downsample_1 layer2_0_add layer2_0_relu_1 avgpool',
      'fc: fc',
    ]);
  });

  test('a MobileNetV2: a block without a shortcut is told from the next by its torchvision name', () => {
    expect(summary(layerGroups(miniMobilenet(), 'classifier_1'))).toEqual([
      'features_0: features_0_0 features_0_1 features_0_2',
      'features_1: features_1_conv_0_0 features_1_conv_0_1 features_1_conv_0_2 features_1_conv_1 features_1_conv_2 features_1_add',
      'features_2: features_2_conv_0_0 features_2_conv_0_1 features_2_conv_0_2 features_2_conv_1_0 features_2_conv_1_1 features_2_conv_1_2 features_2_conv_2 features_2_conv_3',
      'features_3: features_3_0 features_3_1 features_3_2 pool classifier_0',
      'classifier_1: classifier_1',
    ]);
  });

  test('a hand-written graph: the run before the block, the block, the head; every trainable parameter in one group', () => {
    const groups = layerGroups(handResidual(), 'head');
    expect(summary(groups)).toEqual(['stem: stem', 'conv…flat: conv res flat', 'head: head']);
    expect(groups.flatMap((g) => g.params).sort()).toEqual(trainableParameters(handResidual()).sort());
  });

  test('the head starts a group of its own, wherever it is cut', () => {
    expect(summary(layerGroups(miniResnet(), 'layer2_0_conv1')).map((s) => s.split(':')[0])).toEqual([
      'conv1…relu',
      'layer1_0',
      'layer2_0',
      'fc',
    ]);
    expect(summary(layerGroups(handResidual(), 'flat')).map((s) => s.split(':')[0])).toEqual(['stem', 'conv…res', 'flat…head']);
  });

  test('batch-norm statistics are in no group; gamma and beta are', () => {
    const [stem] = layerGroups(miniResnet(), 'fc');
    expect(stem!.params).toEqual(['conv1.kernel', 'bn1.gamma', 'bn1.beta']);
  });

  test('discriminative rates go by block: each block below the head at the rate above × lrMult', () => {
    const spec = miniResnet();
    const groups = discriminativeGroups(spec, trainableParameters(spec), 0.1, 0.5, 0, 'fc');
    expect(groups.map((g) => [g.name, g.lr])).toEqual([
      ['fc', 0.1],
      ['layer2_0', 0.05],
      ['layer1_0', 0.025],
      ['conv1…relu', 0.0125],
    ]);
  });

  test('a chain keeps one group per layer with parameters', () => {
    const chain = validateSpec({
      inputShape: [8, 8, 1],
      layers: [
        { type: 'conv2d', name: 'layer1_0_conv', filters: 2, kernelSize: 3 },
        { type: 'batchNorm', name: 'layer1_0_bn' },
        { type: 'activation', name: 'relu', activation: 'relu' },
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'fc', units: 3 },
      ],
    });
    expect(summary(layerGroups(chain, 'fc'))).toEqual(['layer1_0_conv: layer1_0_conv', 'layer1_0_bn: layer1_0_bn', 'fc: fc']);
  });

  test('blockKey: up to the first numbered part after the first', () => {
    expect(['layer1_0_conv1', 'features_3_conv_1_0', 'classifier_1', 'conv1', 'fc', 'b_1x', 'stage_2'].map(blockKey)).toEqual([
      'layer1_0',
      'features_3',
      'classifier_1',
      '',
      '',
      '',
      'stage_2',
    ]);
  });
});
