import { HeadstartError } from '../errors.js';
import type { EmbeddingLayer } from './layers.js';
import type { ModelSpec } from './model-spec.js';
import { inferShapes } from './shapes.js';

/** The layer types of text encoders (token sequences), which not every backend runs yet. */
export const SEQUENCE_LAYER_TYPES: readonly string[] = ['embedding', 'positionEmbedding', 'layerNorm', 'attention', 'sequencePool'];

/**
 * The first reason a backend without sequence models cannot run `spec`: named inputs, a sequence
 * layer, or a dense layer applied to each token of a sequence `[T, D]`.
 */
export function firstSequenceFeature(spec: ModelSpec): string | undefined {
  if (spec.inputs) return `model inputs ${spec.inputs.map((input) => `"${input.name}"`).join(', ')}: named model inputs`;
  const layer = spec.layers.find((l) => SEQUENCE_LAYER_TYPES.includes(l.type));
  if (layer) return `layer "${layer.name}": ${layer.type} layers`;
  const dense = inferShapes(spec).find((node) => node.layer.type === 'dense' && node.inputShape.length === 2);
  return dense && `layer "${dense.layer.name}": dense layers on sequences [${dense.inputShape}]`;
}

/**
 * For a backend that does not run sequence models (named inputs, embeddings, attention) yet.
 * @throws HeadstartError (`NOT_SUPPORTED`, a user error) naming the first input or layer it cannot run.
 */
export function requireNoSequences(spec: ModelSpec, backend: string): void {
  const feature = firstSequenceFeature(spec);
  if (feature) throw new HeadstartError('NOT_SUPPORTED', `${feature} are not supported by the ${backend} backend yet; use --backend onnx`);
}

/**
 * The embedding that reads a text model's token ids (its first named input), whose `vocabSize`
 * bounds the tokenizers it can take; undefined for a model that reads no token ids.
 */
export function tokenEmbedding(spec: ModelSpec): EmbeddingLayer | undefined {
  const ids = spec.inputs?.[0]?.name;
  if (ids === undefined) return undefined;
  const layer = spec.layers.find((l) => l.type === 'embedding' && (l.inputs ?? [ids]).includes(ids));
  return layer?.type === 'embedding' ? layer : undefined;
}
