import type { Activation } from '@headstart/core';
import { LEAKY_RELU_SLOPE } from '../layers/activations.js';
import type { GraphDefBuilder } from './graph-def-builder.js';

/**
 * Op sequences several layers share, each the graph form of the tfjs backend's own computation
 * (`src/layers/`), op for op, so an exported model computes what the checkpoint does.
 */

/** `x` as float32 (a 0/1 mask from int32). */
export function castToFloat(g: GraphDefBuilder, name: string, x: string): string {
  return g.op(name, 'Cast', [x], { DstT: { type: 'DT_FLOAT' } });
}

/**
 * `x·kernel + bias` on the last axis of `x` (`inputShape` without the batch): a sequence `[n, T, in]`
 * is flattened to rows `[n·T, in]` for one MatMul and reshaped back, as the backend's `affine` does.
 */
export function affine(
  g: GraphDefBuilder,
  name: string,
  x: string,
  inputShape: readonly number[],
  kernel: { node: string; units: number },
  bias: string | undefined,
): string {
  const sequence = inputShape.length > 1;
  const rows = sequence ? g.op(`${name}/rows`, 'Reshape', [x, g.ints([-1, inputShape.at(-1)!])]) : x;
  const product = g.op(`${name}/matmul`, 'MatMul', [rows, kernel.node]);
  const out = bias ? g.op(`${name}/bias`, 'AddV2', [product, bias]) : product;
  return sequence ? g.op(`${name}/unrows`, 'Reshape', [out, g.ints([-1, ...inputShape.slice(0, -1), kernel.units])]) : out;
}

/** An element-wise activation; `softmax` over the last axis, `gelu` the exact erf form `x/2·(1 + erf(x/√2))`. */
export function activation(g: GraphDefBuilder, name: string, kind: Activation, x: string): string {
  switch (kind) {
    case 'linear':
      return x;
    case 'relu':
      return g.op(`${name}/relu`, 'Relu', [x]);
    case 'relu6':
      return g.op(`${name}/relu6`, 'Relu6', [x]);
    case 'leakyRelu':
      return g.op(`${name}/leaky_relu`, 'LeakyRelu', [x], { alpha: { f: LEAKY_RELU_SLOPE } });
    case 'sigmoid':
      return g.op(`${name}/sigmoid`, 'Sigmoid', [x]);
    case 'tanh':
      return g.op(`${name}/tanh`, 'Tanh', [x]);
    case 'softmax':
      return g.op(`${name}/softmax`, 'Softmax', [x]);
    case 'gelu': {
      const half = g.op(`${name}/gelu_half`, 'Mul', [x, g.scalar(0.5)]);
      const erf = g.op(`${name}/gelu_erf`, 'Erf', [g.op(`${name}/gelu_scaled`, 'Mul', [x, g.scalar(Math.SQRT1_2)])]);
      return g.op(`${name}/gelu`, 'Mul', [half, g.op(`${name}/gelu_one_plus`, 'AddV2', [g.scalar(1), erf])]);
    }
  }
}
