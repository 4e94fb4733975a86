import type { DropoutLayer } from '@headstart/core';
import { ints } from '../../onnx/attributes.js';
import { mul } from '../ops/elementwise.js';
import { TO_NCHW } from '../ops/shape-ops.js';
import type { Flow, LayerContext } from './layer-context.js';

/**
 * Inverted dropout: multiply by a mask of zeros and `1/(1 − rate)` fed as a graph input (drawn in JS
 * from the seed and step, channels-last). Identity in inference.
 */
export function dropoutLayer(ctx: LayerContext, layer: DropoutLayer, x: Flow): Flow {
  const mask = ctx.training && layer.rate > 0 ? ctx.dropoutMask(layer.name) : undefined;
  if (!mask) return x;
  const aligned = x.layout === 'nchw' ? ctx.b.op('Transpose', [mask], { perm: ints(TO_NCHW) }, ctx.b.shapeOf(x.value), 'mask_nchw') : mask;
  return { value: mul(ctx, x.value, aligned), layout: x.layout };
}
