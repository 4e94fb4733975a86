import { int, ints } from '../../onnx/attributes.js';
import type { Dim } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reshapeTo } from './reduce-to-shape.js';

/** Permute axes; the gradient applies the inverse permutation. */
export function transpose(ctx: EmitContext, x: string, perm: readonly number[]): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const y = b.op(
    'Transpose',
    [x],
    { perm: ints(perm) },
    perm.map((p) => shape[p]!),
    'transpose',
  );
  const inverse = perm.map((_, i) => perm.indexOf(i));
  ctx.tape?.record({
    op: 'Transpose',
    inputs: [x],
    outputs: [y],
    backward: (g, [dY]) => [g.op('Transpose', [dY!], { perm: ints(inverse) }, shape, 'dtranspose')],
  });
  return y;
}

/** Flatten everything after the batch axis, row-major; the gradient reshapes back. */
export function flatten(ctx: EmitContext, x: string): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const size = shape.slice(1).reduce<number>((n, d) => n * (d as number), 1);
  const out: Dim[] = [shape[0]!, size];
  const y = b.op('Flatten', [x], { axis: int(1) }, out, 'flatten');
  ctx.tape?.record({ op: 'Flatten', inputs: [x], outputs: [y], backward: (g, [dY]) => [reshapeTo(g, dY!, shape)] });
  return y;
}

/** NHWC → NCHW. */
export const TO_NCHW = [0, 3, 1, 2] as const;
/** NCHW → NHWC. */
export const TO_NHWC = [0, 2, 3, 1] as const;
