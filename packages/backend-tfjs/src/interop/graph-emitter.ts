import type { Layer, LayerShapes, LayerType } from '@headstart/core';
import type { GraphDefBuilder } from './graph-def-builder.js';

/** What an emitter adds nodes with. */
export interface EmitContext {
  g: GraphDefBuilder;
  /** The Const node holding parameter `<layer>.<name>` (added on first use). */
  param(layer: Layer, name: string): string;
}

/**
 * The nodes of one layer of type `T`: `xs` are the graph values of its inputs (in the spec's order,
 * a padding mask second), `node` its shapes without the batch; returns its output value.
 */
export type LayerEmitter<T extends LayerType> = (
  ctx: EmitContext,
  layer: Extract<Layer, { type: T }>,
  xs: string[],
  node: LayerShapes,
) => string;

/** The emitters a graph-model export has, by layer type; a type without one is refused. */
export type LayerEmitters = { [T in LayerType]?: LayerEmitter<T> };
