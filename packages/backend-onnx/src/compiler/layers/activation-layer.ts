import type { ActivationLayer } from '@headstart/core';
import { activate } from '../ops/activations.js';
import type { Flow, LayerContext } from './layer-context.js';

/** A stand-alone activation; softmax over channels, whatever the layout. */
export function activationLayer(ctx: LayerContext, layer: ActivationLayer, x: Flow): Flow {
  return { value: activate(ctx, layer.activation, x.value, channelAxis(x)), layout: x.layout };
}

/** The channel axis of a flow: 1 in NCHW, last otherwise. */
export function channelAxis(x: Flow): number {
  return x.layout === 'nchw' ? 1 : -1;
}
