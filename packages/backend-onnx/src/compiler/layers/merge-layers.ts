import type { AddLayer, ConcatLayer } from '@headstart/core';
import { concat, sum } from '../ops/merge.js';
import { channelAxis } from './activation-layer.js';
import type { Flow, LayerContext } from './layer-context.js';

/** A residual `add`: the element-wise sum of its inputs, which share one shape and so one layout. */
export function addLayer(ctx: LayerContext, layer: AddLayer, inputs: readonly Flow[]): Flow {
  const layout = sameLayout(layer.name, inputs);
  return {
    value: sum(
      ctx,
      inputs.map((x) => x.value),
    ),
    layout,
  };
}

/** `concat` along the channels: the last axis of a flat value, axis 1 of an NCHW image. */
export function concatLayer(ctx: LayerContext, layer: ConcatLayer, inputs: readonly Flow[]): Flow {
  const layout = sameLayout(layer.name, inputs);
  const rank = ctx.b.shapeOf(inputs[0]!.value).length;
  const axis = channelAxis({ value: '', layout });
  return {
    value: concat(
      ctx,
      inputs.map((x) => x.value),
      axis < 0 ? rank + axis : axis,
    ),
    layout,
  };
}

/** Core's shape rules give a merge's inputs one rank, so they travel in one layout; anything else is a compiler bug. */
function sameLayout(name: string, inputs: readonly Flow[]): Flow['layout'] {
  const layout = inputs[0]!.layout;
  if (inputs.some((x) => x.layout !== layout))
    throw new Error(`layer "${name}": its inputs reach it in different layouts (${inputs.map((x) => x.layout).join(', ')})`);
  return layout;
}
