import type { LayerInput, WindowPadding } from '@headstart/core';
import { windowGeometry } from '@headstart/core/backend-kit';
import type { Attributes } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/onnx-proto.js';
import type { GraphMapper, MappedValue } from './onnx-graph-mapper.js';
import { intsOf, numberOf } from './onnx-node-attributes.js';

/** A Conv's or pool's window over an image value. */
export interface Window {
  kernel: [number, number];
  strides: [number, number];
  /** ONNX's `pads` `[top, left, bottom, right]`. */
  pads: [number, number, number, number];
}

/** @throws UnmappableNode unless the node slides a 2-D window without dilation or ceil mode over an image value. */
export function windowOf(m: GraphMapper, node: NodeProto, attributes: Attributes, input: MappedValue, kernelShape?: number[]): Window {
  if (input.shape.length !== 3) throw m.unsupported(node, 'it needs an image input');
  const kernel = intsOf(attributes, 'kernel_shape', kernelShape ?? []) as [number, number];
  const strides = intsOf(attributes, 'strides', [1, 1]) as [number, number];
  if (kernel.length !== 2) throw m.unsupported(node, 'only 2-D windows are supported');
  if (intsOf(attributes, 'dilations', [1, 1]).some((d) => d !== 1)) throw m.unsupported(node, 'dilations are not supported');
  if (numberOf(attributes, 'ceil_mode', 0) !== 0) throw m.unsupported(node, 'ceil_mode is not supported');
  const autoPad = attributes.auto_pad?.kind === 'string' ? attributes.auto_pad.value : 'NOTSET';
  const [h, w] = input.shape as [number, number, number];
  if (autoPad === 'VALID') return { kernel, strides, pads: [0, 0, 0, 0] };
  if (autoPad === 'SAME_UPPER') return { kernel, strides, pads: windowGeometry([h, w], kernel, strides, 'same').pads };
  if (autoPad !== 'NOTSET') throw m.unsupported(node, `auto_pad ${autoPad} is not supported`);
  const pads = intsOf(attributes, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4) throw m.unsupported(node, `its pads [${pads}] are not 2-D`);
  return { kernel, strides, pads: pads as Window['pads'] };
}

/**
 * The spec's padding for ONNX pads: `valid` when none, Keras's `same` when the pads are exactly its
 * own (so a Keras export keeps it simple), else the simplest explicit form.
 */
export function paddingOf(window: Window, input: MappedValue): WindowPadding {
  const { pads } = window;
  if (pads.every((p) => p === 0)) return 'valid';
  const [h, w] = input.shape as [number, number, number];
  const same = windowGeometry([h, w], window.kernel, window.strides, 'same').pads;
  if (same.every((p, i) => p === pads[i])) return 'same';
  return explicitPadding(pads);
}

/** `p`, `[h, w]` or `[top, left, bottom, right]`, whichever says the pads most simply. */
export function explicitPadding([top, left, bottom, right]: Window['pads']): WindowPadding {
  if (top === bottom && left === right) return top === left ? top : [top, left];
  return [top, left, bottom, right];
}

/** MaxPool and AveragePool: `maxPool2d` / `avgPool2d`, PyTorch's `count_include_pad` kept. */
export function mapPool(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const input = m.input(node);
  const window = windowOf(m, node, attributes, input);
  const padded = window.pads.some((p) => p > 0);
  const countIncludePad = node.opType === 'AveragePool' && padded && numberOf(attributes, 'count_include_pad', 0) !== 0;
  const layer: LayerInput = {
    type: node.opType === 'MaxPool' ? 'maxPool2d' : 'avgPool2d',
    name: m.layerName(node),
    poolSize: window.kernel,
    strides: window.strides,
    // Keras's `same` average excludes the pads; counting them needs the explicit form.
    padding: countIncludePad ? explicitPadding(window.pads) : paddingOf(window, input),
    ...(countIncludePad ? { countIncludePad: true } : {}),
  };
  m.add(node, layer, [input]);
}

/** GlobalAveragePool: `globalAvgPool2d`, whose `[C]` stands for ONNX's `[N, C, 1, 1]`. */
export function mapGlobalAveragePool(m: GraphMapper, node: NodeProto): void {
  const input = m.input(node);
  if (input.shape.length !== 3) throw m.unsupported(node, 'it needs an image input');
  m.add(node, { type: 'globalAvgPool2d', name: m.layerName(node) }, [input], {}, { pooled: true });
}
