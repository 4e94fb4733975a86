import { activationSchema, trainingOptionsSchema, WRITABLE_LAYER_TYPES } from '@headstart/core';
import type { ConformanceCheck } from './check.js';

/** Layer types, activations and optimizers, by name. */
export interface Coverage {
  layerTypes: readonly string[];
  activations: readonly string[];
  optimizers: readonly string[];
}

/** What core's tables offer: the layer types a spec file can use, every activation, every optimizer. */
export function coreTables(): Coverage {
  return {
    layerTypes: WRITABLE_LAYER_TYPES,
    activations: activationSchema.options,
    optimizers: trainingOptionsSchema.shape.optimizer.unwrap().options,
  };
}

/** The union of what `checks` declare they exercise (their `exercises`). */
export function exercisedBy(checks: readonly ConformanceCheck[]): Coverage {
  const layers = checks.flatMap((check) => check.exercises?.specs ?? []).flatMap((spec) => spec.layers);
  return {
    layerTypes: unique(layers.map((layer) => layer.type)),
    activations: unique(layers.flatMap((layer) => ('activation' in layer ? [layer.activation] : []))),
    optimizers: unique(checks.flatMap((check) => check.exercises?.optimizers ?? [])),
  };
}

/**
 * What `tables` (by default core's) offer and no check exercises, one entry each:
 * `layer type "concat"`, `activation "relu6"`, `optimizer "adamw"`. Empty when all is covered.
 */
export function uncovered(checks: readonly ConformanceCheck[], tables: Coverage = coreTables()): string[] {
  const done = exercisedBy(checks);
  const missing = (kind: string, offered: readonly string[], covered: readonly string[]): string[] =>
    offered.filter((name) => !covered.includes(name)).map((name) => `${kind} "${name}"`);
  return [
    ...missing('layer type', tables.layerTypes, done.layerTypes),
    ...missing('activation', tables.activations, done.activations),
    ...missing('optimizer', tables.optimizers, done.optimizers),
  ];
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
