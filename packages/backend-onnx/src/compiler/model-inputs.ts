import type { ModelSpec } from '@headstart/core';
import type { GraphBuilder } from './graph-builder.js';
import { IO } from './inference-graph.js';

/** The graph input of a spec's named input `name` (prefixed, so it never meets a parameter or `x`). */
export function namedInput(name: string): string {
  return `input.${name}`;
}

/**
 * Declare a graph's model inputs: `x` `[N, ...inputShape]` for a spec with one input, else one input
 * per named input (`[N, ...shape]`, int32 or float32) called `graphName(name)` (default
 * {@link namedInput}; an exported model, whose weights are initializers, keeps the spec's names),
 * returned by name for {@link emitForward}.
 */
export function declareModelInputs(b: GraphBuilder, spec: ModelSpec, graphName = namedInput): string | Map<string, string> {
  if (!spec.inputs) return b.input(IO.x, ['N', ...spec.inputShape]);
  return new Map(spec.inputs.map((input) => [input.name, b.input(graphName(input.name), ['N', ...input.shape], input.dtype)]));
}
