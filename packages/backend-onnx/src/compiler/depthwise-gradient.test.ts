import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';

// Values are checked against finite differences in layer-gradients and graph-gradients tests; this one
// pins the formulation: the im2col form (strided Slices, Pad, Concat, MatMul) cost 1.2–4.5× the CPU of the grouped
// Conv, which in turn cost 1.2–1.7× the tap-by-tap form at stride 1 on mobilenet_v2's 8×8 and 16×16 maps.
describe('depthwise conv2d kernel gradient', () => {
  it.each([
    ['multiplier 1, stride 2, padding 1', { filters: 4, strides: 2, padding: 1 }],
    ['multiplier 2, stride 1, valid', { filters: 8 }],
  ])('is one grouped Conv, no im2col: %s', (_, conv) => {
    const nodes = trainGraphNodes(
      {
        inputShape: [6, 6, 4],
        layers: [
          { type: 'conv2d', name: 'dw', kernelSize: 3, groups: 4, useBias: false, ...conv },
          { type: 'globalAvgPool2d', name: 'gap' },
          { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
        ],
      },
      ['dw.kernel'],
    );
    const ops = nodes.map((n) => n.opType);
    expect(ops.filter((op) => op === 'Conv')).toHaveLength(2);
    for (const op of ['Slice', 'Pad', 'Concat', 'MatMul']) expect(ops, op).not.toContain(op);
  });

  it('at stride 1 with one filter per channel is a Slice, Mul and ReduceSum per tap, no grouped Conv', () => {
    const nodes = trainGraphNodes(
      {
        inputShape: [9, 9, 4],
        layers: [
          { type: 'conv2d', name: 'dw', filters: 4, kernelSize: 3, padding: 1, groups: 4, useBias: false },
          { type: 'globalAvgPool2d', name: 'gap' },
          { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
        ],
      },
      ['dw.kernel'],
    );
    expect(nodes.filter((n) => n.opType === 'Conv')).toHaveLength(1);
    expect(nodes.filter((n) => n.opType === 'ReduceSum' && n.output![0]!.startsWith('dw_tap'))).toHaveLength(9);
  });

  it('matches finite differences where the input outlasts the last window (the Conv output is cropped)', async () => {
    await checkGradients(
      {
        inputShape: [6, 7, 2],
        layers: [
          { type: 'conv2d', name: 'dw', filters: 4, kernelSize: 3, strides: 2, groups: 2, padding: [0, 1, 0, 0] },
          { type: 'globalAvgPool2d', name: 'gap' },
          { type: 'dense', name: 'head', units: 3 },
        ],
      },
      { wrt: ['dw.kernel', 'dw.bias', 'x'], n: 3 },
    );
  });
});
