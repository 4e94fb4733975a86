import { int } from '../../onnx/attributes.js';
import type { EmitContext } from '../tape.js';
import { mul } from './elementwise.js';

/**
 * Rows of `table [V, D]` for integer `ids [N, T]` (ONNX Gather) → `[N, T, D]`. The gradient adds each
 * token's gradient into its row (ScatterND with `reduction: add` on zeros), so a row used twice gets
 * both. With `paddingIndex`, those tokens give zeros and so send no gradient to their row.
 */
export function embed(ctx: EmitContext, table: string, ids: string, paddingIndex: number | undefined): string {
  const { b } = ctx;
  const [vocab, width] = b.shapeOf(table) as [number, number];
  const idShape = b.shapeOf(ids);
  const shape = [...idShape, width];
  const rows = b.op('Gather', [table, ids], { axis: int(0) }, shape, 'embed');
  ctx.tape?.record({
    op: 'Gather',
    inputs: [table, ids],
    outputs: [rows],
    backward: (g, [dY]) => {
      const zeros = g.op('ConstantOfShape', [g.int64s([vocab, width])], {}, [vocab, width], 'dembed_zeros');
      const indices = g.op(
        'Unsqueeze',
        [g.op('Cast', [ids], { to: int(7) }, idShape, 'ids64', 'int64'), g.int64s([-1])],
        {},
        [...idShape, 1],
        'ids_idx',
        'int64',
      );
      return [
        g.op('ScatterND', [zeros, indices, dY!], { reduction: { kind: 'string', value: 'add' } }, [vocab, width], 'dembed'),
        undefined,
      ];
    },
  });
  if (paddingIndex === undefined) return rows;
  const isToken = b.op(
    'Not',
    [b.op('Equal', [ids, b.int32s([paddingIndex])], {}, idShape, 'is_pad', 'bool')],
    {},
    idShape,
    'is_token',
    'bool',
  );
  const keep = b.op(
    'Unsqueeze',
    [b.op('Cast', [isToken], { to: int(1) }, idShape, 'token_mask'), b.int64s([-1])],
    {},
    [...idShape, 1],
    'token_mask3',
  );
  return mul(ctx, rows, keep);
}
