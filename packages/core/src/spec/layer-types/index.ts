import { z } from 'zod';
import { activation } from './activation.js';
import { add } from './add.js';
import { attention } from './attention.js';
import { batchNorm } from './batch-norm.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { flatten } from './flatten.js';
import { globalAvgPool2d } from './global-avg-pool2d.js';
import { typeTags, type LayerTypeDefinition } from './layer-type.js';
import { layerNorm } from './layer-norm.js';
import { onnx } from './onnx.js';
import { pool2d } from './pool2d.js';
import { positionEmbedding } from './position-embedding.js';
import { sequencePool } from './sequence-pool.js';

/**
 * Every layer type, in the order error messages list them. Adding a layer type: a module beside
 * this one and a line here (CONTRIBUTING.md lists the backend files that go with it).
 */
const LAYER_TYPE_TABLE = [
  dense,
  conv2d,
  pool2d,
  globalAvgPool2d,
  flatten,
  batchNorm,
  dropout,
  activation,
  onnx,
  add,
  concat,
  embedding,
  positionEmbedding,
  layerNorm,
  attention,
  sequencePool,
] as const;

type Schemas<T extends readonly { schema: unknown }[]> = { [K in keyof T]: T[K]['schema'] };

/** Any layer of a ModelSpec, told apart by `type`. */
export const layerSchema = z.discriminatedUnion(
  'type',
  LAYER_TYPE_TABLE.map((t) => t.schema) as unknown as Schemas<typeof LAYER_TYPE_TABLE>,
);

/** A validated layer, defaults filled in. */
export type Layer = z.infer<typeof layerSchema>;

const BY_TAG = new Map<string, LayerTypeDefinition>(
  LAYER_TYPE_TABLE.flatMap((definition) => typeTags(definition).map((tag) => [tag, definition as unknown as LayerTypeDefinition] as const)),
);

/** The definition of a layer's type (its schema and shape rule). */
export function layerTypeOf(layer: Layer): LayerTypeDefinition {
  return BY_TAG.get(layer.type)!;
}

/** The definition of a `type` tag, or undefined for an unknown one. */
export function layerTypeByTag(tag: unknown): LayerTypeDefinition | undefined {
  return typeof tag === 'string' ? BY_TAG.get(tag) : undefined;
}

/** The `type` tags a spec file can use, in table order (an opaque `onnx` block only comes from an import). */
export const WRITABLE_LAYER_TYPES: readonly string[] = LAYER_TYPE_TABLE.flatMap((definition) =>
  'importOnly' in definition && definition.importOnly ? [] : typeTags(definition),
);

/** The `type` tags of merge layers (two or more inputs). */
export const MERGE_LAYER_TYPES: readonly string[] = LAYER_TYPE_TABLE.flatMap((definition) =>
  definition.arity === 'merge' ? typeTags(definition) : [],
);
