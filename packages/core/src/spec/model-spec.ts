import { z } from 'zod';
import { SpecError } from '../errors.js';
import { defaultInputs } from './graph.js';
import { layerTypeByTag, WRITABLE_LAYER_TYPES } from './layer-types/index.js';
import { layerSchema, type Layer, type LayerInput } from './layers.js';
import { inferShapes } from './shapes.js';

/**
 * A backend-neutral architecture: a channels-last input shape and named layers. Each layer takes
 * the layer listed before it unless it names its `inputs`, so a plain list is a chain and a spec
 * with `inputs` and merges (`add`, `concat`) is a graph whose output is the last layer.
 * Every parameter is named `<layer>.<param>`; see {@link parameterShapes}.
 */
export const modelSpecSchema = z.strictObject({
  /** Shape of one sample, channels-last: `[features]` or `[height, width, channels]`. */
  inputShape: z.array(z.number().int().positive()).min(1),
  /** Layers; each after the layers it takes (in order of application for a chain). */
  layers: z.array(layerSchema).min(1),
});

/** A validated ModelSpec (defaults filled in). */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/** A ModelSpec as a user may write it. */
export interface ModelSpecInput {
  inputShape: number[];
  layers: LayerInput[];
}

/**
 * Validate a spec: its fields, unique layer names, its graph (inputs that name layers, no cycle,
 * every layer's output used) and that each layer fits the shapes it receives. `inputs` equal to
 * the default (the layer before) are dropped, so a chain written with them is the same spec as one
 * without.
 * @throws SpecError whose message names the layer index, name and field.
 */
export function validateSpec(input: unknown, source = 'model spec'): ModelSpec {
  const parsed = modelSpecSchema.safeParse(input);
  if (!parsed.success) throw new SpecError(`${source}: ${describeIssue(input, parsed.error.issues[0]!)}`);
  const spec = withoutDefaultInputs(parsed.data);
  try {
    inferShapes(spec);
  } catch (error) {
    if (error instanceof SpecError) throw new SpecError(`${source}: ${error.message}`);
    throw error;
  }
  return spec;
}

function withoutDefaultInputs(spec: ModelSpec): ModelSpec {
  const layers = spec.layers.map((layer, index) => {
    if (layer.inputs === undefined || layer.inputs.join() !== defaultInputs(spec, index).join()) return layer;
    const { inputs: _default, ...rest } = layer;
    return rest as Layer;
  });
  return { ...spec, layers };
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path;
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    const raw = (input as { layers?: unknown[] | undefined }).layers?.[path[1]] as { name?: unknown; type?: unknown } | undefined;
    const name = typeof raw?.name === 'string' ? ` "${raw.name}"` : '';
    const where = `layers[${path[1]}]${name}`;
    if (issue.code === 'unrecognized_keys' && path.length === 2) {
      const fields = Object.keys(layerTypeByTag(raw?.type)?.schema.shape ?? {});
      return `${where}: ${issue.keys[0]}: unknown field for type ${String(raw?.type)}; expected one of ${fields.join(', ')}`;
    }
    const field = path.slice(2).join('.') || 'type';
    if (field === 'type')
      return `${where}: type: unknown layer type ${JSON.stringify(raw?.type)}; expected one of ${WRITABLE_LAYER_TYPES.join(', ')}`;
    return `${where}: ${field}: ${issue.message}`;
  }
  if (issue.code === 'unrecognized_keys' && path.length === 0) {
    return `${issue.keys[0]}: unknown field of a model spec; expected one of ${Object.keys(modelSpecSchema.shape).join(', ')}`;
  }
  return `${path.join('.') || '(root)'}: ${issue.message}`;
}

/** The layer with that name, or undefined. */
export function findLayer(spec: ModelSpec, name: string): Layer | undefined {
  return spec.layers.find((layer) => layer.name === name);
}
