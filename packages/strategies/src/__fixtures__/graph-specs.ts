import { validateSpec, type LayerInput, type ModelSpec } from '@headstart/core';

const conv = (name: string, filters: number, more: Partial<LayerInput> = {}): LayerInput =>
  ({ type: 'conv2d', name, filters, kernelSize: 3, padding: 1, useBias: false, ...more }) as LayerInput;
const bn = (name: string, inputs?: string[]): LayerInput => ({ type: 'batchNorm', name, ...(inputs ? { inputs } : {}) });
const act = (name: string, activation: 'relu' | 'relu6' = 'relu'): LayerInput => ({ type: 'activation', name, activation });

/**
 * A ResNet in miniature with torchvision's names (as `headstart import` maps them, `.` → `_`):
 * stem, a basic block, a stride-2 block with a 1×1 downsample shortcut, pooling, `fc`. 8×8×1 in.
 */
export function miniResnet(classes = 10): ModelSpec {
  return validateSpec({
    inputShape: [8, 8, 1],
    layers: [
      conv('conv1', 4),
      bn('bn1'),
      act('relu'),
      conv('layer1_0_conv1', 4),
      bn('layer1_0_bn1'),
      act('layer1_0_relu'),
      conv('layer1_0_conv2', 4),
      bn('layer1_0_bn2'),
      { type: 'add', name: 'layer1_0_add', inputs: ['layer1_0_bn2', 'relu'] },
      act('layer1_0_relu_1'),
      conv('layer2_0_conv1', 8, { strides: 2 }),
      bn('layer2_0_bn1'),
      act('layer2_0_relu'),
      conv('layer2_0_conv2', 8),
      bn('layer2_0_bn2'),
      conv('layer2_0_downsample_0', 8, { kernelSize: 1, strides: 2, padding: 0, inputs: ['layer1_0_relu_1'] }),
      bn('layer2_0_downsample_1'),
      { type: 'add', name: 'layer2_0_add', inputs: ['layer2_0_bn2', 'layer2_0_downsample_1'] },
      act('layer2_0_relu_1'),
      { type: 'globalAvgPool2d', name: 'avgpool' },
      { type: 'dense', name: 'fc', units: classes, activation: 'softmax' },
    ],
  });
}

/**
 * A MobileNetV2 in miniature with torchvision's names: stem, an inverted residual block with its
 * shortcut (depthwise 3×3, project), one without (expand, stride-2 depthwise, project), the last 1×1
 * conv, pooling, dropout and `classifier_1`. 8×8×1 in.
 */
export function miniMobilenet(classes = 10): ModelSpec {
  return validateSpec({
    inputShape: [8, 8, 1],
    layers: [
      conv('features_0_0', 4),
      bn('features_0_1'),
      act('features_0_2', 'relu6'),
      conv('features_1_conv_0_0', 4, { groups: 4 }),
      bn('features_1_conv_0_1'),
      act('features_1_conv_0_2', 'relu6'),
      conv('features_1_conv_1', 4, { kernelSize: 1, padding: 0 }),
      bn('features_1_conv_2'),
      { type: 'add', name: 'features_1_add', inputs: ['features_1_conv_2', 'features_0_2'] },
      conv('features_2_conv_0_0', 8, { kernelSize: 1, padding: 0 }),
      bn('features_2_conv_0_1'),
      act('features_2_conv_0_2', 'relu6'),
      conv('features_2_conv_1_0', 8, { strides: 2, groups: 8 }),
      bn('features_2_conv_1_1'),
      act('features_2_conv_1_2', 'relu6'),
      conv('features_2_conv_2', 6, { kernelSize: 1, padding: 0 }),
      bn('features_2_conv_3'),
      conv('features_3_0', 16, { kernelSize: 1, padding: 0 }),
      bn('features_3_1'),
      act('features_3_2', 'relu6'),
      { type: 'globalAvgPool2d', name: 'pool' },
      { type: 'dropout', name: 'classifier_0', rate: 0.2 },
      { type: 'dense', name: 'classifier_1', units: classes, activation: 'softmax' },
    ],
  });
}

/** A hand-written residual graph with no numbered names (as in the CLI's graph tests). */
export function handResidual(): ModelSpec {
  return validateSpec({
    inputShape: [8, 8, 1],
    layers: [
      { type: 'conv2d', name: 'stem', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'conv2d', name: 'conv', filters: 2, kernelSize: 3, padding: 'same' },
      { type: 'add', name: 'res', inputs: ['conv', 'stem'] },
      { type: 'flatten', name: 'flat' },
      { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
    ],
  });
}
