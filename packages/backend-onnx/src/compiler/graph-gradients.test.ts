import { describe, it } from 'vitest';
import type { LayerInput } from '@headstart/core';
import { checkGradients } from '../__fixtures__/gradient-check.js';

const head: LayerInput[] = [
  { type: 'globalAvgPool2d', name: 'gap' },
  { type: 'dense', name: 'head', units: 3 },
];

describe('graph gradients against central finite differences of the float64 reference', () => {
  it('a residual block: conv → bn → relu → conv, added to the block input', async () => {
    await checkGradients(
      {
        inputShape: [5, 5, 2],
        layers: [
          { type: 'conv2d', name: 'stem', filters: 3, kernelSize: 3, padding: 1, activation: 'relu' },
          { type: 'conv2d', name: 'c1', filters: 3, kernelSize: 3, padding: 1, useBias: false },
          { type: 'batchNorm', name: 'bn1' },
          { type: 'activation', name: 'r1', activation: 'relu' },
          { type: 'conv2d', name: 'c2', filters: 3, kernelSize: 3, padding: 1, useBias: false },
          { type: 'add', name: 'res', inputs: ['c2', 'stem'] },
          ...head,
        ],
      },
      { wrt: ['stem.kernel', 'stem.bias', 'c1.kernel', 'bn1.gamma', 'bn1.beta', 'c2.kernel', 'head.kernel', 'x'], n: 4 },
    );
  });

  it('a MobileNetV2 inverted residual: 1×1 expand, depthwise 3×3 relu6, 1×1 project, added to the input', async () => {
    await checkGradients(
      {
        inputShape: [5, 5, 2],
        layers: [
          { type: 'conv2d', name: 'expand', filters: 6, kernelSize: 1, useBias: false },
          { type: 'batchNorm', name: 'bn1' },
          { type: 'activation', name: 'act1', activation: 'relu6' },
          { type: 'conv2d', name: 'dw', filters: 6, kernelSize: 3, padding: 1, groups: 6, useBias: false },
          { type: 'batchNorm', name: 'bn2' },
          { type: 'activation', name: 'act2', activation: 'relu6' },
          { type: 'conv2d', name: 'project', filters: 2, kernelSize: 1 },
          { type: 'add', name: 'res', inputs: ['project', 'input'] },
          ...head,
        ],
      },
      { wrt: ['expand.kernel', 'bn1.gamma', 'dw.kernel', 'bn2.beta', 'project.kernel', 'project.bias', 'x'], n: 4 },
    );
  });

  it('a value used three times (twice by one add) and a three-way add', async () => {
    await checkGradients(
      {
        inputShape: [4],
        layers: [
          { type: 'dense', name: 'a', units: 3, activation: 'tanh' },
          { type: 'dense', name: 'b', units: 3 },
          { type: 'add', name: 'twice', inputs: ['a', 'a', 'b'] },
          { type: 'dense', name: 'out', units: 2 },
        ],
      },
      { wrt: ['a.kernel', 'a.bias', 'b.kernel', 'out.kernel', 'x'] },
    );
  });

  it('concat of two branches on images (channels) and on flat values', async () => {
    await checkGradients(
      {
        inputShape: [4, 4, 2],
        layers: [
          { type: 'conv2d', name: 'left', filters: 2, kernelSize: 1, activation: 'relu', inputs: ['input'] },
          { type: 'conv2d', name: 'right', filters: 3, kernelSize: 3, padding: 'same', inputs: ['input'] },
          { type: 'concat', name: 'cat', inputs: ['left', 'right', 'input'] },
          ...head,
        ],
      },
      { wrt: ['left.kernel', 'right.kernel', 'right.bias', 'head.kernel', 'x'] },
    );
    await checkGradients(
      {
        inputShape: [4],
        layers: [
          { type: 'dense', name: 'a', units: 2, activation: 'sigmoid' },
          { type: 'dense', name: 'b', units: 3, inputs: ['input'] },
          { type: 'concat', name: 'cat', inputs: ['b', 'a'] },
          { type: 'dense', name: 'out', units: 2, activation: 'softmax' },
        ],
      },
      { loss: 'softmaxCrossEntropy', wrt: ['a.kernel', 'b.kernel', 'b.bias', 'out.kernel', 'x'] },
    );
  });

  it('a final softmax activation layer that takes a layer listed before the one above it', async () => {
    await checkGradients(
      {
        inputShape: [4],
        layers: [
          { type: 'dense', name: 'a', units: 3 },
          { type: 'dense', name: 'b', units: 3, inputs: ['input'] },
          { type: 'add', name: 'sum', inputs: ['a', 'b'] },
          { type: 'activation', name: 'probs', activation: 'softmax', inputs: ['sum'] },
        ],
      },
      { loss: 'softmaxCrossEntropy', wrt: ['a.kernel', 'b.kernel', 'x'] },
    );
  });
});
