import type { ModelSpecInput } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';

// Input gradients: a pointwise conv's as a Conv with the transposed kernel (no col2im), other stride-1
// convs' (plain or depthwise) as a Conv with the kernel turned by 180° (1–40 % less CPU than ConvTranspose
// on resnet18's and mobilenet_v2's shapes). Strided ones stay ConvTranspose. The maps are large enough that the
// depthwise convs stay Convs (up to 4×4 they run as per-channel MatMuls: depthwise-matrices.test.ts).
const inverted: ModelSpecInput = {
  inputShape: [9, 10, 3],
  layers: [
    { type: 'conv2d', name: 'expand', filters: 6, kernelSize: 1, useBias: false },
    { type: 'conv2d', name: 'dw', filters: 6, kernelSize: 3, groups: 6, padding: 1, activation: 'relu6' },
    { type: 'conv2d', name: 'dw2', filters: 6, kernelSize: [3, 2], groups: 6, padding: 'valid', useBias: false },
    { type: 'conv2d', name: 'full', filters: 5, kernelSize: 3, padding: [1, 0], useBias: false },
    { type: 'conv2d', name: 'down', filters: 5, kernelSize: 3, groups: 5, strides: 2, padding: 1, useBias: false },
    { type: 'conv2d', name: 'project', filters: 4, kernelSize: 1 },
    { type: 'globalAvgPool2d', name: 'gap' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

describe('conv2d input gradient', () => {
  it('is a Conv for pointwise, stride-1 plain and stride-1 depthwise convolutions, a ConvTranspose for the strided one', () => {
    const nodes = trainGraphNodes(inverted);
    const inputGradients = nodes.filter((n) => n.output![0]!.startsWith('dconv_x')).map((n) => n.opType);
    expect(inputGradients.sort()).toEqual(['Conv', 'Conv', 'Conv', 'Conv', 'ConvTranspose']);
  });

  it('matches the finite differences of the float64 reference', async () => {
    await checkGradients(inverted, {
      wrt: ['x', 'expand.kernel', 'dw.kernel', 'dw2.kernel', 'full.kernel', 'down.kernel', 'project.kernel'],
      n: 3,
    });
  });
});
