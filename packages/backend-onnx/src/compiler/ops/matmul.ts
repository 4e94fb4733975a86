import type { Dim, GraphBuilder } from '../graph-builder.js';
import { broadcastShapes } from '../graph-builder.js';
import { ints } from '../../onnx/attributes.js';
import type { EmitContext } from '../tape.js';
import { reduceToShape } from './reduce-to-shape.js';

/**
 * Batched `A·B` over the last two axes (ONNX MatMul, leading axes broadcast): attention's
 * `q·kᵀ` and `weights·v`. `dA = dY·Bᵀ` and `dB = Aᵀ·dY`, each summed back to its operand's shape.
 */
export function matmul(ctx: EmitContext, a: string, bMat: string): string {
  const { b } = ctx;
  const [sa, sb] = [b.shapeOf(a), b.shapeOf(bMat)];
  const shape = [...broadcastShapes(sa.slice(0, -2), sb.slice(0, -2)), sa.at(-2)!, sb.at(-1)!];
  const y = b.op('MatMul', [a, bMat], {}, shape, 'matmul');
  ctx.tape?.record({
    op: 'MatMul',
    inputs: [a, bMat],
    outputs: [y],
    backward: (g, [dY], needs) => [
      needs[0] ? reduceToShape(g, product(g, dY!, swapLast(g, bMat)), sa) : undefined,
      needs[1] ? reduceToShape(g, product(g, swapLast(g, a), dY!), sb) : undefined,
    ],
  });
  return y;
}

function product(b: GraphBuilder, x: string, y: string): string {
  const [sx, sy] = [b.shapeOf(x), b.shapeOf(y)];
  return b.op('MatMul', [x, y], {}, [...broadcastShapes(sx.slice(0, -2), sy.slice(0, -2)), sx.at(-2)!, sy.at(-1)!], 'dmatmul');
}

/** The last two axes swapped (untracked: used in gradients only). */
function swapLast(b: GraphBuilder, x: string): string {
  const shape = b.shapeOf(x);
  const perm = shape.map((_, i) => i);
  perm.splice(-2, 2, perm.length - 1, perm.length - 2);
  return b.op('Transpose', [x], { perm: ints(perm) }, perm.map((p) => shape[p]!) as Dim[], 'swap');
}
