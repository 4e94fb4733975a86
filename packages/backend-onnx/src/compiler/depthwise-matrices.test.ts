import type { ModelSpecInput } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';
import { tapOfPair } from './ops/depthwise-matrices.js';
import type { WindowGeometry } from './ops/window-geometry.js';

type ConvOptions = Omit<Extract<ModelSpecInput['layers'][number], { type: 'conv2d' }>, 'type' | 'name' | 'filters' | 'groups'>;

const head = { type: 'dense' as const, name: 'head', units: 3 };
const flatten = { type: 'flatten' as const, name: 'flat' };

/** Op types of the train graph, its grouped Convs, and its MatMuls on per-channel matrices (not the kernel-tap moves). */
function trainOps(input: ModelSpecInput): { ops: string[]; groupedConvs: number; channelMatMuls: number } {
  const nodes = trainGraphNodes(input);
  const groupedConvs = nodes.filter((n) => n.opType.startsWith('Conv') && n.attribute!.some((a) => a.name === 'group')).length;
  const channelMatMuls = nodes.filter((n) => n.opType === 'MatMul' && /^(dw_|dconv_x_cnp)/.test(n.output![0]!)).length;
  return { ops: nodes.map((n) => n.opType), groupedConvs, channelMatMuls };
}

// mobilenet_v2 on 32×32 inputs runs its depthwise 3×3 convs on 4×4, 2×2 and 1×1 maps, where onnxruntime's
// grouped Conv (a tiny GEMM per sample and channel) cost 3–7× the per-channel MatMuls (bench/README.md).
describe('depthwise conv2d on small maps', () => {
  it('runs as per-channel MatMuls (forward and both gradients) up to 4×4 maps at stride 1, as a scale on 1×1 maps', () => {
    const depthwise = (side: number, strides: number): ModelSpecInput => ({
      inputShape: [side, side, 4],
      layers: [
        { type: 'conv2d', name: 'expand', filters: 4, kernelSize: 1 },
        { type: 'conv2d', name: 'dw', filters: 4, kernelSize: 3, padding: 1, strides, groups: 4 },
        flatten,
        { ...head, activation: 'softmax' },
      ],
    });
    for (const [side, strides] of [
      [2, 1],
      [2, 2],
      [4, 1],
      [4, 2],
    ] as const) {
      const { groupedConvs, channelMatMuls } = trainOps(depthwise(side, strides));
      expect(groupedConvs, `${side}×${side}, stride ${strides}`).toBe(0);
      expect(channelMatMuls, `${side}×${side}, stride ${strides}`).toBe(4);
    }
    // On a 1×1 map the kernel's centre scales each channel: broadcast Muls, no MatMul.
    const onePixel = trainOps(depthwise(1, 1));
    expect(onePixel.groupedConvs).toBe(0);
    expect(onePixel.channelMatMuls).toBe(0);
    // 8×8 at stride 2 (1,024 pixel pairs) and 5×5 (625) keep onnxruntime's Conv (at stride 1 not for the kernel gradient).
    expect(trainOps(depthwise(8, 2)).groupedConvs).toBe(3);
    expect(trainOps(depthwise(5, 1)).groupedConvs).toBe(2);
  });

  it('pairs each input pixel with each output pixel through the tap between them', () => {
    // 2×2 map, 3×3 kernel, padding 1: output (0,0) sees input (0,0) through the centre tap 4, input (1,1) through 8.
    const g: WindowGeometry = { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], input: [2, 2], output: [2, 2] };
    const taps = tapOfPair(g);
    expect(taps.slice(0, 4)).toEqual([4, 3, 1, 0]);
    expect(taps.slice(12, 16)).toEqual([8, 7, 5, 4]);
    // Stride 2 on 2×2 with a 3×3 kernel, padding 1: one output; input (1,1) meets tap 8, and nothing meets "none".
    expect(tapOfPair({ ...g, strides: [2, 2], output: [1, 1] })).toEqual([4, 5, 7, 8]);
    // Valid 2×2 kernel over 3×1 with stride [2, 1]: the last row is a stride leftover, joined to no output (tap 4 = none).
    expect(tapOfPair({ kernel: [2, 1], strides: [2, 1], pads: [0, 0, 0, 0], input: [3, 1], output: [1, 1] })).toEqual([0, 1, 2]);
  });

  const cases: [string, [number, number, number], ConvOptions][] = [
    ['2×2, 3×3 padding 1, bias and relu6', [2, 2, 3], { kernelSize: 3, padding: 1, activation: 'relu6' }],
    ['4×4, stride 2, padding 1, no bias', [4, 4, 2], { kernelSize: 3, padding: 1, strides: 2, useBias: false }],
    ['1×1 (the centre tap alone)', [1, 1, 3], { kernelSize: 3, padding: 1 }],
    ['3×4, a [2,3] kernel, stride [2,1], valid (a leftover row)', [3, 4, 2], { kernelSize: [2, 3], strides: [2, 1] }],
    // The one window meets padding alone: the output is the bias, not the input scaled (nor a 3×3 kernel read as a scale).
    ['1×1, a 1×1 kernel whose window is all padding', [1, 1, 2], { kernelSize: 1, padding: [1, 1, 0, 0], strides: 2 }],
    ['1×1, a 3×3 kernel whose window is all padding', [1, 1, 2], { kernelSize: 3, padding: [3, 3, 0, 0], strides: 4 }],
  ];
  it.each(cases)('matches finite differences of the float64 reference: %s', async (_, inputShape, conv) => {
    const channels = inputShape[2];
    await checkGradients(
      { inputShape, layers: [{ type: 'conv2d', name: 'dw', filters: channels, groups: channels, ...conv }, flatten, head] },
      { wrt: conv.useBias === false ? ['dw.kernel', 'x'] : ['dw.kernel', 'dw.bias', 'x'], n: 3 },
    );
  });
});
