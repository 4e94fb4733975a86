import { HeadstartError } from '../errors.js';
import { parameterShapes } from '../spec/shapes.js';
import type { ModelSpec } from '../spec/model-spec.js';
import type { NamedTensors } from '../tensors.js';

/**
 * The weights `createModel` should load over its fresh seeded values: `weights` less the tensors of
 * the layers `fresh` names (they keep their fresh values), or undefined when no weights were given
 * (every parameter starts fresh). A parameter missing from `weights` is an error unless its layer is
 * in `fresh`, so a model never silently starts partly from fresh values. Backends call it from
 * `Backend.createModel` before loading weights; unknown or mis-shaped tensors stay theirs to refuse.
 * An opaque block's `graph` has no fresh value and is not checked here.
 * @throws HeadstartError (BAD_INPUT) naming the missing tensors, or a `fresh` entry that is no layer.
 */
export function givenWeights(spec: ModelSpec, weights: NamedTensors | undefined, fresh: readonly string[] = []): NamedTensors | undefined {
  const layers = spec.layers.map((l) => l.name);
  const unknown = fresh.filter((name) => !layers.includes(name));
  if (unknown.length > 0)
    throw new HeadstartError(
      'BAD_INPUT',
      `fresh: ${unknown.map((n) => `"${n}"`).join(', ')} is not a layer of this model (it has ${layers.join(', ')})`,
    );
  if (!weights) return undefined;
  const params = parameterShapes(spec).filter((p) => p.role !== 'graph');
  const missing = params.filter((p) => !weights.has(p.name) && !fresh.includes(p.layer));
  if (missing.length > 0) {
    const missingLayers = [...new Set(missing.map((p) => p.layer))];
    throw new HeadstartError(
      'BAD_INPUT',
      `weights: missing ${missing.map((p) => p.name).join(', ')}; give every parameter, or ask for fresh values for those layers (createModel option fresh: ${JSON.stringify(missingLayers)})`,
    );
  }
  const freshParams = new Set(params.filter((p) => fresh.includes(p.layer)).map((p) => p.name));
  return new Map([...weights].filter(([name]) => !freshParams.has(name)));
}
