import type { ModelSpecInput } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';

// mobilenet_v2's last blocks and resnet18's layer4 run on 1×1 maps (32×32 inputs): a pointwise conv there is a
// matrix product of the [N, C] rows, and the Conv form's input gradient transposed the kernel every step.
const onPixels: ModelSpecInput = {
  inputShape: [1, 1, 6],
  layers: [
    { type: 'conv2d', name: 'expand', filters: 8, kernelSize: 1, activation: 'relu6' },
    { type: 'conv2d', name: 'c', filters: 5, kernelSize: 3, padding: 1, useBias: false },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

describe('pointwise conv2d on a 1×1 map', () => {
  it('runs as Gemms forward and backward, with no Conv and no kernel transposed', () => {
    const nodes = trainGraphNodes(onPixels);
    const ops = nodes.map((n) => n.opType);
    expect(ops).not.toContain('Conv');
    expect(ops).not.toContain('ConvTranspose');
    // expand: forward and kernel gradient; c: forward, input and kernel gradient.
    expect(nodes.filter((n) => n.opType === 'Gemm' && /^(conv_rows|dconv_x_rows|dconv_w_rows)/.test(n.output![0]!))).toHaveLength(5);
  });

  it('matches the finite differences of the float64 reference (bias, a cut 3×3 kernel, the input)', async () => {
    await checkGradients(onPixels, { wrt: ['expand.kernel', 'expand.bias', 'c.kernel', 'head.kernel', 'x'], n: 3 });
  });
});
