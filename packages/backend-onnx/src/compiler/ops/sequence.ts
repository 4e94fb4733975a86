import { int } from '../../onnx/attributes.js';
import type { Dim } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reshapeTo } from './reduce-to-shape.js';

/**
 * Reshape to a static shape (`'N'` is the batch, at most once); the gradient reshapes back. Flattening
 * `[N, T, D]` to `[N·T, D]` records the shape `['N', D]`: the first axis is then all rows, whatever `N` is.
 */
export function reshape(ctx: EmitContext, x: string, shape: readonly Dim[]): string {
  const from = ctx.b.shapeOf(x);
  const y = ctx.b.op('Reshape', [x, ctx.b.int64s(shape.map((d) => (d === 'N' ? -1 : d)))], {}, [...shape], 'reshape');
  ctx.tape?.record({ op: 'Reshape', inputs: [x], outputs: [y], backward: (g, [dY]) => [reshapeTo(g, dY!, from)] });
  return y;
}

/** `x[start:end]` along a static `axis`; the gradient is padded with zeros back to the full axis. */
export function sliceAxis(ctx: EmitContext, x: string, axis: number, start: number, end: number): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const size = shape[axis] as number;
  if (start === 0 && end === size) return x;
  const y = b.op(
    'Slice',
    [x, b.int64s([start]), b.int64s([end]), b.int64s([axis])],
    {},
    shape.map((d, i) => (i === axis ? end - start : d)),
    'slice',
  );
  const pads = [...shape.map((_, i) => (i === axis ? start : 0)), ...shape.map((_, i) => (i === axis ? size - end : 0))];
  ctx.tape?.record({
    op: 'Slice',
    inputs: [x],
    outputs: [y],
    backward: (g, [dY]) => [g.op('Pad', [dY!, g.int64s(pads)], { mode: { kind: 'string', value: 'constant' } }, shape, 'dslice')],
  });
  return y;
}

/** Sum over one axis, dropping it; the gradient is broadcast back along it. */
export function sumAxis(ctx: EmitContext, x: string, axis: number): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const y = b.op(
    'ReduceSum',
    [x, b.int64s([axis])],
    { keepdims: int(0) },
    shape.filter((_, i) => i !== axis),
    'sum_axis',
  );
  ctx.tape?.record({
    op: 'ReduceSum',
    inputs: [x],
    outputs: [y],
    backward: (g, [dY]) => {
      const kept = g.op(
        'Unsqueeze',
        [dY!, g.int64s([axis])],
        {},
        shape.map((d, i) => (i === axis ? 1 : d)),
        'dsum_axis',
      );
      const full = g.op('Shape', [x], {}, [shape.length], 'shape', 'int64');
      return [g.op('Expand', [kept, full], {}, shape, 'dsum_expand')];
    },
  });
  return y;
}
