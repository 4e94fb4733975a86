import { int } from '../../onnx/attributes.js';
import type { EmitContext } from '../tape.js';

/**
 * Element-wise sum of same-shape values (a residual connection). The gradient flows unchanged to each
 * input; the tape adds up the gradients of a value that is used more than once.
 */
export function sum(ctx: EmitContext, values: readonly string[]): string {
  const { b } = ctx;
  const y = values.length === 2 ? b.binary('Add', values[0]!, values[1]!) : b.op('Sum', [...values], {}, b.shapeOf(values[0]!), 'sum');
  ctx.tape?.record({
    op: 'Sum',
    inputs: [...values],
    outputs: [y],
    backward: (_, [dY], needs) => needs.map((need) => (need ? dY! : undefined)),
  });
  return y;
}

/**
 * Values joined along `axis` (a non-negative axis: the channels). The gradient of each input is its
 * slice of the output's gradient.
 */
export function concat(ctx: EmitContext, values: readonly string[], axis: number): string {
  const { b } = ctx;
  const shapes = values.map((v) => b.shapeOf(v));
  const sizes = shapes.map((s) => s[axis] as number);
  const total = sizes.reduce((n, d) => n + d, 0);
  const y = b.op(
    'Concat',
    [...values],
    { axis: int(axis) },
    shapes[0]!.map((d, i) => (i === axis ? total : d)),
    'concat',
  );
  const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((n, d) => n + d, 0));
  ctx.tape?.record({
    op: 'Concat',
    inputs: [...values],
    outputs: [y],
    backward: (g, [dY], needs) =>
      needs.map((need, k) =>
        need
          ? g.op('Slice', [dY!, g.int64s([starts[k]!]), g.int64s([starts[k]! + sizes[k]!]), g.int64s([axis])], {}, shapes[k]!, 'dconcat')
          : undefined,
      ),
  });
  return y;
}
