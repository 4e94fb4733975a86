import type { Conv2dLayer } from '@headstart/core';
import { KERNEL_TO_ONNX } from '../kernel-layout.js';
import { activate } from '../ops/activations.js';
import { conv2d } from '../ops/conv.js';
import { transpose } from '../ops/shape-ops.js';
import { windowGeometry } from '../ops/window-geometry.js';
import type { Flow, LayerContext } from './layer-context.js';

/**
 * 2-D convolution on an NCHW flow, grouped or depthwise when the layer has `groups` (ONNX groups
 * channels as core does: consecutive blocks of input and output channels). The runtime's graphs take
 * the kernel in ONNX's layout (see KernelLayout); an exported graph bakes it in canonical layout and
 * transposes it in the graph, so exported files never hold ONNX's layout.
 */
export function conv2dLayer(ctx: LayerContext, layer: Conv2dLayer, x: Flow): Flow {
  const shape = ctx.b.shapeOf(x.value);
  const geometry = windowGeometry([shape[2] as number, shape[3] as number], layer.kernelSize, layer.strides, layer.padding);
  const stored = ctx.param(`${layer.name}.kernel`);
  const kernel = ctx.kernelLayout === 'onnx' ? stored : transpose(ctx, stored, KERNEL_TO_ONNX);
  const bias = layer.useBias ? ctx.param(`${layer.name}.bias`) : undefined;
  const y = conv2d(ctx, x.value, kernel, bias, geometry, layer.groups ?? 1);
  return { value: activate(ctx, layer.activation, y, 1), layout: 'nchw' };
}
