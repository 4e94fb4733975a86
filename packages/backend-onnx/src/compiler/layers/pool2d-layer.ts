import type { Pool2dLayer } from '@headstart/core';
import { avgPool, globalAvgPool, maxPool } from '../ops/pool.js';
import { windowGeometry } from '../ops/window-geometry.js';
import type { Flow, LayerContext } from './layer-context.js';

/** Max or average pooling on an NCHW flow (strides default to the pool size). */
export function pool2dLayer(ctx: LayerContext, layer: Pool2dLayer, x: Flow): Flow {
  const shape = ctx.b.shapeOf(x.value);
  const geometry = windowGeometry([shape[2] as number, shape[3] as number], layer.poolSize, layer.strides ?? layer.poolSize, layer.padding);
  const y = layer.type === 'maxPool2d' ? maxPool(ctx, x.value, geometry) : avgPool(ctx, x.value, geometry, layer.countIncludePad);
  return { value: y, layout: 'nchw' };
}

/** Mean over height and width: NCHW → `[N, C]`. */
export function globalAvgPool2dLayer(ctx: LayerContext, x: Flow): Flow {
  return { value: globalAvgPool(ctx, x.value), layout: 'flat' };
}
