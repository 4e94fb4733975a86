import { z } from 'zod';
import { SpecError } from '../errors.js';
import { layerSchema, type Layer, type LayerInput } from './layers.js';
import { inferShapes } from './shapes.js';

/**
 * A backend-neutral architecture: a channels-last input shape and an ordered list of named layers.
 * Every parameter is named `<layer>.<param>`; see {@link parameterShapes}.
 */
export const modelSpecSchema = z.object({
  /** Shape of one sample, channels-last: `[features]` or `[height, width, channels]`. */
  inputShape: z.array(z.number().int().positive()).min(1),
  /** Layers in order of application. */
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
 * Validate a spec: its fields, unique layer names, and that each layer fits the shape it receives.
 * @throws SpecError whose message names the layer index, name and field.
 */
export function validateSpec(input: unknown, source = 'model spec'): ModelSpec {
  const parsed = modelSpecSchema.safeParse(input);
  if (!parsed.success) throw new SpecError(`${source}: ${describeIssue(input, parsed.error.issues[0]!)}`);
  const spec = parsed.data;
  const seen = new Map<string, number>();
  spec.layers.forEach((layer, index) => {
    const earlier = seen.get(layer.name);
    if (earlier !== undefined) {
      throw new SpecError(`${source}: layers[${index}] "${layer.name}": name: already used by layers[${earlier}]`);
    }
    seen.set(layer.name, index);
  });
  try {
    inferShapes(spec);
  } catch (error) {
    if (error instanceof SpecError) throw new SpecError(`${source}: ${error.message}`);
    throw error;
  }
  return spec;
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path;
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    const raw = (input as { layers?: unknown[] }).layers?.[path[1]] as { name?: unknown } | undefined;
    const name = typeof raw?.name === 'string' ? ` "${raw.name}"` : '';
    const field = path.slice(2).join('.') || 'type';
    if (field === 'type') {
      const type = JSON.stringify((raw as { type?: unknown } | undefined)?.type);
      return `layers[${path[1]}]${name}: type: unknown layer type ${type}; expected one of ${LAYER_TYPES.join(', ')}`;
    }
    return `layers[${path[1]}]${name}: ${field}: ${issue.message}`;
  }
  return `${path.join('.') || '(root)'}: ${issue.message}`;
}

// The types a spec file can use: an opaque `onnx` block only comes from importing an ONNX model.
const LAYER_TYPES: string[] = layerSchema.options
  .flatMap((o) => {
    const type = o.shape.type;
    return 'options' in type ? [...type.options] : [type.value];
  })
  .filter((type) => type !== 'onnx');

/** The layer with that name, or undefined. */
export function findLayer(spec: ModelSpec, name: string): Layer | undefined {
  return spec.layers.find((layer) => layer.name === name);
}
