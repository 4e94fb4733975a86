import { parameterShapes, validateSpec, type ModelSpecInput } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';
import { trainGraphNodes } from '../__fixtures__/train-graph-nodes.js';
import { buildPredictGraph } from './inference-graph.js';

type ConvOptions = Omit<Extract<ModelSpecInput['layers'][number], { type: 'conv2d' }>, 'type' | 'name' | 'filters'>;

const flatten = { type: 'flatten' as const, name: 'flat' };
const head = { type: 'dense' as const, name: 'head', units: 3 };

/** A conv of `conv` options on an input of `inputShape` (HWC), then a dense head. */
function convSpec(inputShape: [number, number, number], conv: ConvOptions, filters = 4): ModelSpecInput {
  return { inputShape, layers: [{ type: 'conv2d', name: 'c', filters, ...conv }, flatten, head] };
}

/** The train graph's Convs (and ConvTransposes) and its Gemms of the small-map form (forward, input and kernel gradient). */
function convOps(input: ModelSpecInput): { convs: number; mapGemms: string[] } {
  // The train graph's cross-entropy needs a softmax head; a batch norm first so that the conv's input gets a gradient.
  const layers = input.layers.map((l) => (l.name === 'head' ? { ...head, activation: 'softmax' as const } : l));
  const withNorm: ModelSpecInput = { ...input, layers: [{ type: 'batchNorm', name: 'bn' }, ...layers] };
  const trainable = parameterShapes(validateSpec(withNorm)).filter((p) => p.role !== 'statistic');
  const nodes = trainGraphNodes(
    withNorm,
    trainable.map((p) => p.name),
  );
  return {
    convs: nodes.filter((n) => n.opType === 'Conv' || n.opType === 'ConvTranspose').length,
    mapGemms: nodes
      .filter((n) => n.opType === 'Gemm' && /^(conv_map_rows|dconv_x_rows|dconv_map)/.test(n.output![0]!))
      .map((n) => n.output![0]!),
  };
}

// resnet18 on 32×32 inputs runs layer3 on 2×2 maps: onnxruntime's Conv does an im2col and a [256, 2304] × [2304, 4]
// GEMM per sample there, forward and backward; one [32, 1024] × [1024, 1024] Gemm over the batch took 0.6× its CPU.
describe('plain conv2d on a small map', () => {
  it('runs as one Gemm over the batch forward, for the input and for the kernel gradient, with no Conv', () => {
    for (const [shape, conv] of [
      [[2, 2, 3], { kernelSize: 3, padding: 1 }],
      [[4, 4, 2], { kernelSize: 3, padding: 1, strides: 2, useBias: false }],
      [[2, 2, 3], { kernelSize: 3, padding: 1, strides: 2 }],
    ] as [[number, number, number], ConvOptions][]) {
      const { convs, mapGemms } = convOps(convSpec(shape, conv));
      expect(convs, JSON.stringify([shape, conv])).toBe(0);
      expect(mapGemms.map((name) => name.replace(/_\d+$/, '')).sort(), JSON.stringify([shape, conv])).toEqual([
        'conv_map_rows',
        'dconv_map',
        'dconv_x_rows',
      ]);
    }
  });

  it('leaves the predict (and exported) graph with the layer as one Conv', () => {
    const nodes = buildPredictGraph(validateSpec(convSpec([2, 2, 3], { kernelSize: 3, padding: 1 }))).graph!.node!;
    expect(nodes.filter((n) => n.opType === 'Conv')).toHaveLength(1);
    expect(nodes.map((n) => n.opType)).not.toContain('Gather');
    expect(nodes.filter((n) => n.output![0]!.startsWith('conv_map'))).toEqual([]);
  });

  it('keeps onnxruntime Conv where the Gemm would do more work: a strided 1×1 downsample, a 4×4 map at stride 1', () => {
    expect(convOps(convSpec([4, 4, 2], { kernelSize: 1, strides: 2 })).mapGemms).toEqual([]);
    expect(convOps(convSpec([4, 4, 2], { kernelSize: 3, padding: 1 })).mapGemms).toEqual([]);
    expect(convOps(convSpec([2, 2, 2], { kernelSize: 1, strides: 2 })).mapGemms).toEqual([]);
  });

  const cases: [string, [number, number, number], ConvOptions, number][] = [
    ['2×2, 3×3 padding 1, bias and relu, batch 1', [2, 2, 3], { kernelSize: 3, padding: 1, activation: 'relu' }, 1],
    ['2×2, 3×3 padding 1, batch 3', [2, 2, 3], { kernelSize: 3, padding: 1 }, 3],
    ['4×4, stride 2, padding 1, no bias (pairs no tap joins)', [4, 4, 2], { kernelSize: 3, padding: 1, strides: 2, useBias: false }, 3],
    ['2×3, a [2,3] kernel, stride 2, padding [1, 0, 0, 2]', [2, 3, 2], { kernelSize: [2, 3], padding: [1, 0, 0, 2], strides: 2 }, 3],
    ['2×2 → 1×1, 3×3 stride 2 padding 1 (cut to its 2×2 taps), batch 1', [2, 2, 3], { kernelSize: 3, padding: 1, strides: 2 }, 1],
    ['1×3, 3×3 padding [0, 1, 2, 1] (leftover rows of taps)', [1, 3, 2], { kernelSize: 3, padding: [0, 1, 2, 1] }, 3],
  ];
  it.each(cases)('matches finite differences of the float64 reference: %s', async (_, inputShape, conv, n) => {
    const spec = convSpec(inputShape, conv, 5);
    expect(convOps(spec).convs).toBe(0);
    await checkGradients(spec, { wrt: conv.useBias === false ? ['c.kernel', 'x'] : ['c.kernel', 'c.bias', 'x'], n });
  });
});
