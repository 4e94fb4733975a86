import { flatten, TO_NHWC, transpose } from '../ops/shape-ops.js';
import type { Flow, LayerContext } from './layer-context.js';

/** Row-major flatten over H, W, C: an NCHW image goes back to channels-last first. */
export function flattenLayer(ctx: LayerContext, x: Flow): Flow {
  const channelsLast = x.layout === 'nchw' ? transpose(ctx, x.value, TO_NHWC) : x.value;
  return { value: flatten(ctx, channelsLast), layout: 'flat' };
}
