import type { ModelSpecInput } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';
import { usedTaps } from './ops/conv.js';

// resnet18 on 32×32 inputs runs layer4 on 1×1 maps: a 3×3 conv with padding 1 meets the input with its centre only.
// Here on maps one and two rows high: `down` (2×8 → 1×4) keeps a Conv of its cut [2, 3] kernel, `c` (1×4) its middle row,
// which on so small a map runs as one Gemm over the batch (see small-map-gemm.test.ts).
const onSmallMaps: ModelSpecInput = {
  inputShape: [2, 8, 3],
  layers: [
    { type: 'conv2d', name: 'down', filters: 4, kernelSize: 3, strides: 2, padding: 1, useBias: false },
    { type: 'conv2d', name: 'c', filters: 4, kernelSize: 3, padding: 1 },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

describe('conv2d kernel taps that only meet padding', () => {
  it('are cut from the convolution: the centre of a 3×3 on a 1×1 map, 2×2 of a stride-2 3×3 on a 2×2 map', () => {
    const geometry = (input: number, stride: number) => ({
      kernel: [3, 3] as [number, number],
      strides: [stride, stride] as [number, number],
      pads: [1, 1, 1, 1] as [number, number, number, number],
      input: [input, input] as [number, number],
      output: [Math.floor((input + 2 - 3) / stride) + 1, Math.floor((input + 2 - 3) / stride) + 1] as [number, number],
    });
    expect(usedTaps(geometry(1, 1))).toMatchObject({ rows: [1, 1], cols: [1, 1], geometry: { kernel: [1, 1], pads: [0, 0, 0, 0] } });
    expect(usedTaps(geometry(2, 2))).toMatchObject({ rows: [1, 2], cols: [1, 2], geometry: { kernel: [2, 2], pads: [0, 0, 0, 0] } });
    expect(usedTaps(geometry(2, 1))).toBeUndefined();
    expect(usedTaps(geometry(8, 1))).toBeUndefined();
  });

  it('leave the train graph with convolutions of the cut kernels (on a 1×4 map the middle row runs as a Gemm)', () => {
    const nodes = trainGraphNodes(onSmallMaps);
    const kernels = nodes
      .filter((n) => n.opType === 'Conv' && !n.output![0]!.startsWith('dconv_x'))
      .map((n) => [...(n.attribute!.find((a) => a.name === 'kernel_shape')!.ints ?? [])].map(Number));
    expect(kernels).toEqual([[2, 3]]);
    // Cut and padded back by MatMuls with 0/1 matrices: onnxruntime's Slice and Pad on the inner axes were 2.5–4× slower.
    const moves = nodes.filter((n) => /^(conv_taps|dconv_w_taps)/.test(n.output![0]!)).map((n) => n.opType);
    expect(moves.filter((op) => op === 'MatMul')).toHaveLength(4);
    expect(moves).not.toContain('Slice');
    expect(moves).not.toContain('Pad');
    expect(nodes.filter((n) => n.opType === 'Gemm' && n.output![0]!.startsWith('conv_map_rows'))).toHaveLength(1);
  });

  it('get a zero gradient, the others the finite differences of the float64 reference', async () => {
    await checkGradients(onSmallMaps, { wrt: ['down.kernel', 'c.kernel', 'c.bias', 'head.kernel', 'x'], n: 3 });
  });
});
