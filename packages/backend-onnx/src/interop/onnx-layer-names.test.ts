import { describe, expect, it } from 'vitest';
import { LayerNames } from './onnx-layer-names.js';
import type { NodeProto } from '../onnx/onnx-proto.js';

function node(opType: string, name: string, output = `${name}_output_0`): NodeProto {
  return { opType, name, input: [], output: [output] };
}

describe('layer names of imported nodes', () => {
  it("follow torchvision's module paths, in letters, digits and _", () => {
    const names = new LayerNames(['input']);
    expect(names.forNode(node('Conv', '/layer1/layer1.0/conv1/Conv'))).toBe('layer1_0_conv1');
    expect(names.forNode(node('Conv', '/features/features.1/conv/conv.0/conv.0.0/Conv'))).toBe('features_1_conv_0_0');
    expect(names.forNode(node('Relu', '/layer1/layer1.0/relu_1/Relu'))).toBe('layer1_0_relu_1');
    expect(names.forNode(node('Add', '/layer1/layer1.0/Add'))).toBe('layer1_0_add');
    expect(names.forNode(node('Add', '/layer1/layer1.0/Add_1'))).toBe('layer1_0_add_1');
    expect(names.forNode(node('Flatten', '/Flatten'))).toBe('flatten');
    expect(names.forNode(node('Gemm', '/fc/Gemm'))).toBe('fc');
  });

  it('fall back on the weight, then the output, and stay unique', () => {
    const names = new LayerNames(['input']);
    expect(names.forNode(node('Conv', '', 'x'), '0.stem.weight')).toBe('_0_stem');
    expect(names.forNode(node('Conv', '', 'onnx::Conv_7'), 'onnx::Conv_8')).toBe('onnx__Conv_7');
    expect(names.forNode(node('Relu', '', 'input'))).toBe('input_1');
    expect(names.forNode(node('Relu', '/relu/Relu'))).toBe('relu');
    expect(names.forNode(node('Relu', '/relu/Relu'))).toBe('relu_1');
    expect(names.forNode(node('Relu', '/relu/Relu'))).toBe('relu_2');
  });
});
