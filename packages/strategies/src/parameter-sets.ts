import { HeadstartError, inferShapes, parameterShapes, type ModelSpec, type ParameterGroup } from '@headstart/core';
import { opaqueTrainingError } from '@headstart/core/backend-kit';
import { layerGroups, type LayerGroup } from './layer-groups.js';

/**
 * A glob over parameter names: `*` matches any run of characters, `?` one character; the whole name
 * must match. `enc*` matches `enc1.kernel`; `*.bias` every bias.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Names matching any of the globs. */
export function matching(names: readonly string[], globs: readonly string[]): string[] {
  const patterns = globs.map(globToRegExp);
  return names.filter((name) => patterns.some((p) => p.test(name)));
}

/** Parameter names a message lists before it says how many there are in all. */
const LISTED = 6;

/**
 * The parameters `--freeze` globs keep frozen: those of `names` (a model's trainable parameters)
 * matching any glob.
 * @throws HeadstartError (USAGE) for a glob that matches none of them (a typo would otherwise
 * freeze nothing without a word), listing a few names.
 */
export function frozenParameters(names: readonly string[], globs: readonly string[]): Set<string> {
  const unmatched = globs.find((glob) => !names.some((name) => globToRegExp(glob).test(name)));
  if (unmatched !== undefined) {
    const listed = names.length > LISTED ? `${names.slice(0, LISTED).join(', ')}, … (${names.length} in all)` : names.join(', ');
    throw new HeadstartError('USAGE', `--freeze ${unmatched}: matches no trainable parameter; they are ${listed}`);
  }
  return new Set(matching(names, globs));
}

/** Gradient-trainable parameters (batch-norm statistics excluded) of the given layers, in layer order. */
export function trainableParameters(spec: ModelSpec, layers?: readonly string[]): string[] {
  return inferShapes(spec)
    .filter((l) => !layers || layers.includes(l.layer.name))
    .flatMap((l) => l.parameters.filter((p) => p.role !== 'statistic').map((p) => p.name));
}

/**
 * Fail before any work when a phase would train an opaque ONNX block (its `graph`), which backends
 * refuse only when that phase's trainer is made.
 * @throws HeadstartError (NOT_SUPPORTED) naming the block's op and node.
 */
export function checkTrainable(spec: ModelSpec, names: Iterable<string>): void {
  const wanted = new Set(names);
  const opaque = parameterShapes(spec).find((p) => p.role === 'graph' && wanted.has(p.name));
  if (opaque) throw opaqueTrainingError(spec, opaque.layer);
}

/**
 * The units of gradual unfreezing and discriminative rates, from the top (output) down: a chain's
 * layers with parameters, a graph's blocks (see {@link layerGroups}); `head` names the first head
 * layer, which starts a group.
 */
export function layerGroupsTopDown(spec: ModelSpec, head?: string): LayerGroup[] {
  return layerGroups(spec, head).reverse();
}

/**
 * Discriminative learning rates (ULMFiT, fastai): the top layer group trains at `lr`, each group
 * below at the rate of the one above times `lrMult` (e.g. 1/2.6). Only `trainable` parameters appear.
 */
export function discriminativeGroups(
  spec: ModelSpec,
  trainable: readonly string[],
  lr: number,
  lrMult: number,
  weightDecay = 0,
  head?: string,
): ParameterGroup[] {
  const wanted = new Set(trainable);
  return layerGroupsTopDown(spec, head)
    .map((g, depth) => ({ name: g.name, params: g.params.filter((p) => wanted.has(p)), lr: lr * lrMult ** depth, weightDecay }))
    .filter((g) => g.params.length > 0);
}
