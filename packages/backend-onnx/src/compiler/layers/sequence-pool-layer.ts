import type { SequencePoolLayer } from '@headstart/core';
import { mul } from '../ops/elementwise.js';
import { reshape, sliceAxis, sumAxis } from '../ops/sequence.js';
import type { Flow, LayerContext } from './layer-context.js';
import { floatMask } from './sequence-mask.js';

/** `[N, T, D]` → `[N, D]`: the first token, or the mean of the tokens (those the mask marks, at least one counted). */
export function sequencePoolLayer(ctx: LayerContext, layer: SequencePoolLayer, x: Flow, mask: Flow | undefined): Flow {
  const { b } = ctx;
  const [, tokens, width] = b.shapeOf(x.value) as ['N', number, number];
  if (layer.mode === 'first') return { value: reshape(ctx, sliceAxis(ctx, x.value, 1, 0, 1), ['N', width]), layout: 'flat' };
  if (!mask) return { value: mul(ctx, sumAxis(ctx, x.value, 1), b.scalar(1 / tokens)), layout: 'flat' };
  const m = floatMask(b, mask.value);
  const masked = mul(ctx, x.value, b.op('Unsqueeze', [m, b.int64s([-1])], {}, ['N', tokens, 1], 'mask3'));
  const count = b.op('ReduceSum', [m, b.int64s([1])], { keepdims: { kind: 'int', value: 1 } }, ['N', 1], 'mask_count');
  const inverse = b.unary('Reciprocal', b.op('Max', [count, b.scalar(1)], {}, ['N', 1], 'count_min1'));
  return { value: mul(ctx, sumAxis(ctx, masked, 1), inverse), layout: 'flat' };
}
