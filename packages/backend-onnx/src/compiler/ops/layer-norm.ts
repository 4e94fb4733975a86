import { ints } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reduceToShape } from './reduce-to-shape.js';

/**
 * Layer normalisation over the last axis: `gamma·x̂ + beta` with `x̂ = (x − mean)/√(var + ε)`
 * (biased variance). Gradient: `dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / √(var + ε)` with
 * `dx̂ = dY·gamma`; `dgamma = Σ dY·x̂`, `dbeta = Σ dY` over every other axis.
 */
export function layerNorm(ctx: EmitContext, x: string, gamma: string, beta: string, epsilon: number): string {
  const { b } = ctx;
  const centred = b.binary('Sub', x, meanLast(b, x));
  const inverse = b.unary(
    'Reciprocal',
    b.unary('Sqrt', b.binary('Add', meanLast(b, b.binary('Mul', centred, centred)), b.scalar(epsilon))),
  );
  const normal = b.binary('Mul', centred, inverse);
  const y = b.binary('Add', b.binary('Mul', normal, gamma), beta);
  ctx.tape?.record({
    op: 'LayerNorm',
    inputs: [x, gamma, beta],
    outputs: [y],
    backward: (g, [dY], needs) => {
      const dNormal = g.binary('Mul', dY!, gamma);
      const dx = needs[0]
        ? g.binary(
            'Mul',
            inverse,
            g.binary(
              'Sub',
              g.binary('Sub', dNormal, meanLast(g, dNormal)),
              g.binary('Mul', normal, meanLast(g, g.binary('Mul', dNormal, normal))),
            ),
          )
        : undefined;
      const dGamma = needs[1] ? reduceToShape(g, g.binary('Mul', dY!, normal), g.shapeOf(gamma)) : undefined;
      const dBeta = needs[2] ? reduceToShape(g, dY!, g.shapeOf(beta)) : undefined;
      return [dx, dGamma, dBeta];
    },
  });
  return y;
}

/** Mean over the last axis, kept as size 1 (ReduceMean takes its axes as an attribute before opset 18). */
function meanLast(b: GraphBuilder, x: string): string {
  const shape = b.shapeOf(x);
  return b.op('ReduceMean', [x], { axes: ints([-1]), keepdims: { kind: 'int', value: 1 } }, [...shape.slice(0, -1), 1], 'mean_last');
}
