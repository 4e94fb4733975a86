import { createRng } from '@headstart/core';
import { float, int } from '../onnx/attributes.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import type { ModelProto } from '../onnx/onnx-proto.js';

/** The op between the two Gemms of {@link opaqueMlp}: `Sin` and `SinGate` have no headstart layer, `GeluErf` maps to `gelu`. */
export type OpaqueActivation = 'Sin' | 'SinGate' | 'GeluErf';

/**
 * An MLP laid out the way `torch.onnx.export` writes one (Gemm with transB = 1, weights named
 * `fc1.weight` …, nodes named by module path) with an activation headstart cannot map in the middle:
 * input [N, 64] → fc1 (64 → 48) → activation → fc2 (48 → 10) → softmax, fixed seeded weights.
 * `Sin` is one node (`/act/Sin`): with fc1's random weights and biases the hidden layer is a set of
 * random Fourier features. `SinGate` is a branch and a merge, x · sin(x) (nodes `/act/Sin`, `/act/Mul`).
 * `GeluErf` is GELU as PyTorch exports it before opset 20, x · 0.5 · (1 + erf(x / √2)), nodes
 * `/act/Div`, `/act/Erf`, `/act/Add`, `/act/Mul`, `/act/Mul_1`: the import maps it as one `gelu`.
 */
export function opaqueMlp(activation: OpaqueActivation = 'Sin'): ModelProto {
  const rng = createRng(5);
  const b = new GraphBuilder('main_graph');
  const uniform = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  const weight = (name: string, data: Float32Array, shape: number[]): string => {
    const named = b.initializer(name, data, shape);
    if (named !== name) throw new Error(`initializer ${name} renamed`);
    return named;
  };
  const x = b.input('input', ['N', 64]);
  const gemm = { alpha: float(1), beta: float(1), transB: int(1) };
  let y = b.op('Gemm', [x, weight('fc1.weight', uniform(48 * 64, 0.6), [48, 64]), weight('fc1.bias', uniform(48, Math.PI), [48])], gemm, ['N', 48], '/fc1/Gemm');
  y = activation === 'Sin' ? b.op('Sin', [y], {}, ['N', 48], '/act/Sin') : activation === 'SinGate' ? sinGate(b, y) : geluErf(b, y);
  y = b.op('Gemm', [y, weight('fc2.weight', uniform(10 * 48, 0.3), [10, 48]), weight('fc2.bias', uniform(10, 0.1), [10])], gemm, ['N', 10], '/fc2/Gemm');
  y = b.op('Softmax', [y], { axis: int(1) }, ['N', 10], '/Softmax');
  b.output(y, 'probabilities');
  const model = b.toModel('torch-like');
  model.producerName = 'pytorch';
  // PyTorch names nodes by module path (`/fc1/Gemm`); our builder named the outputs so.
  for (const node of model.graph!.node!) node.name = node.output[0] === 'probabilities' ? '/Softmax' : node.output[0]!;
  return model;
}

function sinGate(b: GraphBuilder, x: string): string {
  const sine = b.op('Sin', [x], {}, b.shapeOf(x), '/act/Sin');
  return b.op('Mul', [x, sine], {}, b.shapeOf(x), '/act/Mul');
}

function geluErf(b: GraphBuilder, x: string): string {
  const shape = b.shapeOf(x);
  const scaled = b.op('Div', [x, b.scalar(Math.SQRT2)], {}, shape, '/act/Div');
  const erf = b.op('Erf', [scaled], {}, shape, '/act/Erf');
  const plusOne = b.op('Add', [erf, b.scalar(1)], {}, shape, '/act/Add');
  const gated = b.op('Mul', [x, plusOne], {}, shape, '/act/Mul');
  return b.op('Mul', [gated, b.scalar(0.5)], {}, shape, '/act/Mul_1');
}
