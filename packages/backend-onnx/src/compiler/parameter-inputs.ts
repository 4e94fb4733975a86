import type { NamedTensors, ParameterShape } from '@headstart/core';
import type { GraphBuilder } from './graph-builder.js';

/**
 * Resolves parameter names to graph values: graph inputs named after the parameter (fed each run),
 * or, when `baked` holds the weights, initializers (an exported model is self-contained).
 * Each parameter is declared on first use; `onDeclare` sees it (the trainer watches trained ones).
 */
export function parameterResolver(
  b: GraphBuilder,
  params: readonly ParameterShape[],
  baked?: NamedTensors,
  onDeclare?: (name: string, value: string) => void,
): (name: string) => string {
  const shapes = new Map(params.map((p) => [p.name, p.shape]));
  const declared = new Map<string, string>();
  return (name) => {
    let value = declared.get(name);
    if (value !== undefined) return value;
    const shape = shapes.get(name);
    if (!shape) throw new Error(`the graph asks for parameter "${name}", which the spec does not have`);
    const weights = baked?.get(name);
    value = weights ? b.initializer(name, weights.data, shape) : b.input(name, shape);
    declared.set(name, value);
    onDeclare?.(name, value);
    return value;
  };
}
