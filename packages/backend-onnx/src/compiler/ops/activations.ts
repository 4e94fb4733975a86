import type { Activation } from '@headstart/core';
import { float, int } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { EmitContext, GradientRule } from '../tape.js';

/**
 * Negative slope of `leakyRelu`: 0.01, PyTorch's default, as the tfjs backend uses, so that a
 * checkpoint means the same function on every backend.
 */
export const LEAKY_RELU_SLOPE = 0.01;

/**
 * Apply an element-wise activation. `softmax` runs over `axis` (the channel axis: last for flat
 * values, 1 for the NCHW images inside our graphs). `gelu` is the exact erf form.
 */
export function activate(ctx: EmitContext, kind: Activation, x: string, axis = -1): string {
  const { b } = ctx;
  if (kind === 'linear') return x;
  const { y, backward } = emitActivation(b, kind, x, axis);
  ctx.tape?.record({ op: kind, inputs: [x], outputs: [y], backward });
  return y;
}

function emitActivation(
  b: GraphBuilder,
  kind: Exclude<Activation, 'linear'>,
  x: string,
  axis: number,
): { y: string; backward: GradientRule } {
  switch (kind) {
    case 'relu': {
      const y = b.unary('Relu', x);
      // dY·float(y > 0): onnxruntime's Where with a scalar branch and its Sign are several times slower.
      return {
        y,
        backward: (g, [dY]) => [g.binary('Mul', dY!, g.op('Cast', [positive(g, y)], { to: int(1) }, g.shapeOf(y), 'relu_mask'))],
      };
    }
    case 'relu6': {
      const y = b.op('Clip', [x, b.scalar(0), b.scalar(6)], {}, b.shapeOf(x), 'relu6');
      // dY·float(0 < x < 6), as PyTorch's hardtanh backward (no gradient at the bounds).
      const backward: GradientRule = (g, [dY]) => {
        const inside = g.op(
          'And',
          [positive(g, x), g.op('Less', [x, g.scalar(6)], {}, g.shapeOf(x), 'below6')],
          {},
          g.shapeOf(x),
          'inside',
        );
        return [g.binary('Mul', dY!, g.op('Cast', [inside], { to: int(1) }, g.shapeOf(x), 'relu6_mask'))];
      };
      return { y, backward };
    }
    case 'leakyRelu': {
      const y = b.unary('LeakyRelu', x, { alpha: float(LEAKY_RELU_SLOPE) });
      const backward: GradientRule = (g, [dY]) => [
        g.op('Where', [positive(g, x), dY!, g.binary('Mul', dY!, g.scalar(LEAKY_RELU_SLOPE))], {}, g.shapeOf(x), 'dleaky'),
      ];
      return { y, backward };
    }
    case 'sigmoid': {
      const y = b.unary('Sigmoid', x);
      // dy/dx = y·(1 − y)
      return { y, backward: (g, [dY]) => [g.binary('Mul', dY!, g.binary('Mul', y, g.binary('Sub', g.scalar(1), y)))] };
    }
    case 'tanh': {
      const y = b.unary('Tanh', x);
      // dy/dx = 1 − y²
      return { y, backward: (g, [dY]) => [g.binary('Mul', dY!, g.binary('Sub', g.scalar(1), g.binary('Mul', y, y)))] };
    }
    case 'gelu':
      return gelu(b, x);
    case 'softmax': {
      const y = b.unary('Softmax', x, { axis: int(axis) });
      return { y, backward: (g, [dY]) => [softmaxBackward(g, y, dY!, axis)] };
    }
  }
}

/** A boolean mask `v > 0`. */
function positive(b: GraphBuilder, v: string): string {
  return b.op('Greater', [v, b.scalar(0)], {}, b.shapeOf(v), 'pos');
}

/** gelu(x) = x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2; its derivative is Φ(x) + x·φ(x). */
function gelu(b: GraphBuilder, x: string): { y: string; backward: GradientRule } {
  const cdf = b.binary('Mul', b.binary('Add', b.unary('Erf', b.binary('Mul', x, b.scalar(Math.SQRT1_2))), b.scalar(1)), b.scalar(0.5));
  const y = b.binary('Mul', x, cdf);
  const backward: GradientRule = (g, [dY]) => {
    const density = g.binary(
      'Mul',
      g.unary('Exp', g.binary('Mul', g.binary('Mul', x, x), g.scalar(-0.5))),
      g.scalar(1 / Math.sqrt(2 * Math.PI)),
    );
    return [g.binary('Mul', dY!, g.binary('Add', cdf, g.binary('Mul', x, density)))];
  };
  return { y, backward };
}

/** dx = y·(dY − Σ(dY·y)) over the softmax axis. */
function softmaxBackward(b: GraphBuilder, y: string, dY: string, axis: number): string {
  const shape = b.shapeOf(y);
  const rank = shape.length;
  const positiveAxis = axis < 0 ? rank + axis : axis;
  const summed = b.op(
    'ReduceSum',
    [b.binary('Mul', dY, y), b.int64s([positiveAxis])],
    { keepdims: int(1) },
    shape.map((d, i) => (i === positiveAxis ? 1 : d)),
    'dsoftmax_sum',
  );
  return b.binary('Mul', y, b.binary('Sub', dY, summed));
}
