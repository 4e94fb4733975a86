import { createRng } from '@headstart/core';
import { float, int, ints } from '../onnx/attributes.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import type { ModelProto } from '../onnx/onnx-proto.js';

/**
 * An ONNX CNN laid out the way `torch.onnx.export` writes one (NCHW input, `[out, in, kh, kw]` conv
 * weights, Gemm with transB = 1 after a C,H,W flatten, weights named `conv1.weight` …), built with our
 * graph builder so the test needs no PyTorch:
 * input [N,2,8,8] → conv1 3×3 pad 1 → relu → maxpool 2 → conv2 3×3 → bn → relu → flatten → fc(5) → softmax.
 * `extraOp` inserts that op after the first relu (to test rejection).
 */
export function pytorchStyleCnn(extraOp?: string): ModelProto {
  const rng = createRng(21);
  const b = new GraphBuilder('torch_jit');
  const values = (n: number, scale = 0.5): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  const w = (name: string, shape: number[], scale?: number): string => {
    const size = shape.reduce((a, d) => a * d, 1);
    const named = b.initializer(name, values(size, scale), shape);
    if (named !== name) throw new Error(`initializer ${name} renamed`);
    return named;
  };
  const x = b.input('input', ['N', 2, 8, 8]);
  let y = b.op('Conv', [x, w('conv1.weight', [4, 2, 3, 3]), w('conv1.bias', [4])], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([1, 1]), dilations: ints([1, 1]), group: int(1) }, ['N', 4, 8, 8], '/conv1/Conv');
  y = b.op('Relu', [y], {}, ['N', 4, 8, 8], '/relu/Relu');
  if (extraOp) y = b.op(extraOp, [y], {}, ['N', 4, 8, 8], `/odd/${extraOp}`);
  y = b.op('MaxPool', [y], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), pads: ints([0, 0, 0, 0]) }, ['N', 4, 4, 4], '/pool/MaxPool');
  y = b.op('Conv', [y, w('conv2.weight', [3, 4, 3, 3])], { kernel_shape: ints([3, 3]) }, ['N', 3, 2, 2], '/conv2/Conv');
  const positive = (n: number): Float32Array => Float32Array.from({ length: n }, () => 0.5 + rng.next());
  const bnVar = b.initializer('bn.running_var', positive(3), [3]);
  y = b.op('BatchNormalization', [y, w('bn.weight', [3]), w('bn.bias', [3]), w('bn.running_mean', [3]), bnVar], { epsilon: float(1e-5), momentum: float(0.9) }, ['N', 3, 2, 2], '/bn/BatchNormalization');
  y = b.op('Relu', [y], {}, ['N', 3, 2, 2], '/relu_1/Relu');
  y = b.op('Flatten', [y], { axis: int(1) }, ['N', 12], '/Flatten');
  y = b.op('Gemm', [y, w('fc.weight', [5, 12]), w('fc.bias', [5])], { alpha: float(1), beta: float(1), transB: int(1) }, ['N', 5], '/fc/Gemm');
  y = b.op('Softmax', [y], { axis: int(1) }, ['N', 5], '/Softmax');
  b.output(y, 'probabilities');
  const model = b.toModel('torch-like');
  // PyTorch names nodes by module path (`/conv1/Conv`); our builder named the outputs so.
  for (const node of model.graph!.node!) node.name = node.output[0] === 'probabilities' ? '/Softmax' : node.output[0]!;
  return model;
}
