import { HeadstartError } from '@headstart/core';
import type { Conv2dLayer } from '@headstart/core';
import { activate } from '../ops/activations.js';
import { conv2d } from '../ops/conv.js';
import { transpose } from '../ops/shape-ops.js';
import { windowGeometry } from '../ops/window-geometry.js';
import type { Flow, LayerContext } from './layer-context.js';

/** Canonical kernel `[kh, kw, in, out]` → ONNX `[out, in, kh, kw]`. */
export const KERNEL_TO_ONNX = [3, 2, 0, 1] as const;

/**
 * 2-D convolution on an NCHW flow. The kernel stays in canonical layout as a graph value and is
 * transposed in the graph (cheap next to the convolution), so checkpoints never see ONNX's layout.
 */
export function conv2dLayer(ctx: LayerContext, layer: Conv2dLayer, x: Flow): Flow {
  if ((layer.groups ?? 1) > 1)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": grouped convolution (groups ${layer.groups}) is not supported by the onnx backend yet`,
    );
  const shape = ctx.b.shapeOf(x.value);
  const geometry = windowGeometry([shape[2] as number, shape[3] as number], layer.kernelSize, layer.strides, layer.padding);
  const kernel = transpose(ctx, ctx.param(`${layer.name}.kernel`), KERNEL_TO_ONNX);
  const bias = layer.useBias ? ctx.param(`${layer.name}.bias`) : undefined;
  const y = conv2d(ctx, x.value, kernel, bias, geometry);
  return { value: activate(ctx, layer.activation, y, 1), layout: 'nchw' };
}
