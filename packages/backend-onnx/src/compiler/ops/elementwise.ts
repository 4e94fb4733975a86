import type { EmitContext } from '../tape.js';
import { reduceToShape } from './reduce-to-shape.js';

/** `a + b` with broadcasting; the gradient is summed back to each operand's shape. */
export function add(ctx: EmitContext, a: string, bOperand: string): string {
  const { b } = ctx;
  const y = b.binary('Add', a, bOperand);
  ctx.tape?.record({
    op: 'Add',
    inputs: [a, bOperand],
    outputs: [y],
    backward: (g, [dY], needs) => [
      needs[0] ? reduceToShape(g, dY!, g.shapeOf(a)) : undefined,
      needs[1] ? reduceToShape(g, dY!, g.shapeOf(bOperand)) : undefined,
    ],
  });
  return y;
}

/** `a · b` with broadcasting (dropout masks, scales): `da = dY·b`, `db = dY·a`, each summed back. */
export function mul(ctx: EmitContext, a: string, bOperand: string): string {
  const { b } = ctx;
  const y = b.binary('Mul', a, bOperand);
  ctx.tape?.record({
    op: 'Mul',
    inputs: [a, bOperand],
    outputs: [y],
    backward: (g, [dY], needs) => [
      needs[0] ? reduceToShape(g, g.binary('Mul', dY!, bOperand), g.shapeOf(a)) : undefined,
      needs[1] ? reduceToShape(g, g.binary('Mul', dY!, a), g.shapeOf(bOperand)) : undefined,
    ],
  });
  return y;
}
