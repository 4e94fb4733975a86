import { z } from 'zod';
import { SpecError } from '../errors.js';
import { defaultInputs } from './graph.js';
import { nameField, positiveInt } from './layer-types/fields.js';
import { layerTypeByTag, WRITABLE_LAYER_TYPES } from './layer-types/index.js';
import { layerSchema, type Layer, type LayerInput } from './layers.js';
import { inferShapes } from './shapes.js';

/**
 * One named input of a model that takes several (token ids and an attention mask): its name (what
 * layers list in `inputs`), the shape of one sample, and its element type: `int32` for token ids and
 * masks, `float32` (the default) for values.
 */
export const modelInputSchema = z.strictObject({
  name: nameField,
  shape: z.array(positiveInt).min(1),
  dtype: z.enum(['float32', 'int32']).default('float32'),
});

/** A validated {@link modelInputSchema}. */
export type ModelInput = z.infer<typeof modelInputSchema>;

/**
 * A backend-neutral architecture: a channels-last input shape and named layers. Each layer takes
 * the layer listed before it unless it names its `inputs`, so a plain list is a chain and a spec
 * with `inputs` and merges (`add`, `concat`) is a graph whose output is the last layer.
 * A model with several inputs lists them in `inputs` instead of giving `inputShape`; its layers name
 * them in their `inputs` (the first layer takes the first by default).
 * Every parameter is named `<layer>.<param>`; see {@link parameterShapes}.
 */
export const modelSpecSchema = z.strictObject({
  /**
   * Shape of one sample, channels-last: `[features]` or `[height, width, channels]`. With `inputs`,
   * the first input's shape (filled in from it).
   */
  inputShape: z.array(positiveInt).min(1).optional(),
  /** The model's named inputs, when it takes several (or one of integer token ids). */
  inputs: z.array(modelInputSchema).min(1).optional(),
  /** Layers; each after the layers it takes (in order of application for a chain). */
  layers: z.array(layerSchema).min(1),
});

/** A validated ModelSpec (defaults filled in; `inputShape` always set). */
export type ModelSpec = Omit<z.infer<typeof modelSpecSchema>, 'inputShape'> & { inputShape: number[] };
/** A ModelSpec as a user may write it. */
export interface ModelSpecInput {
  /** Required unless `inputs` is given. */
  inputShape?: number[] | undefined;
  inputs?: z.input<typeof modelInputSchema>[] | undefined;
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
  const spec = withoutDefaultInputs(withInputShape(parsed.data, source));
  try {
    inferShapes(spec);
  } catch (error) {
    if (error instanceof SpecError) throw new SpecError(`${source}: ${error.message}`);
    throw error;
  }
  return spec;
}

/** `inputShape` given, or taken from the first named input (which it must then equal). */
function withInputShape(spec: z.infer<typeof modelSpecSchema>, source: string): ModelSpec {
  const { inputShape, inputs } = spec;
  if (!inputs) {
    if (!inputShape) throw new SpecError(`${source}: inputShape: Invalid input: expected array, received undefined`);
    return { ...spec, inputShape };
  }
  const first = inputs[0]!.shape;
  if (inputShape && inputShape.join() !== first.join())
    throw new SpecError(`${source}: inputShape: [${inputShape}] differs from the first input's shape [${first}]; give inputs alone`);
  const names = new Set<string>();
  inputs.forEach((input, i) => {
    if (names.has(input.name)) throw new SpecError(`${source}: inputs[${i}].name: "${input.name}" is already the name of an earlier input`);
    names.add(input.name);
  });
  return { ...spec, inputShape: [...first] };
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
