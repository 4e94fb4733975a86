import type { z } from 'zod';
import type { activationLayerSchema } from './layer-types/activation.js';
import type { addLayerSchema } from './layer-types/add.js';
import type { attentionLayerSchema } from './layer-types/attention.js';
import type { batchNormLayerSchema } from './layer-types/batch-norm.js';
import type { concatLayerSchema } from './layer-types/concat.js';
import type { conv2dLayerSchema } from './layer-types/conv2d.js';
import type { denseLayerSchema } from './layer-types/dense.js';
import type { dropoutLayerSchema } from './layer-types/dropout.js';
import type { embeddingLayerSchema } from './layer-types/embedding.js';
import { activationSchema } from './layer-types/fields.js';
import type { flattenLayerSchema } from './layer-types/flatten.js';
import type { globalAvgPool2dLayerSchema } from './layer-types/global-avg-pool2d.js';
import type { layerSchema, Layer } from './layer-types/index.js';
import type { layerNormLayerSchema } from './layer-types/layer-norm.js';
import type { OnnxLayer } from './layer-types/onnx.js';
import type { pool2dLayerSchema } from './layer-types/pool2d.js';
import type { positionEmbeddingLayerSchema } from './layer-types/position-embedding.js';
import type { sequencePoolLayerSchema } from './layer-types/sequence-pool.js';

// Each layer type lives in one module under layer-types/; this file keeps the public names.
export { activationSchema };
export { activationLayerSchema } from './layer-types/activation.js';
export { addLayerSchema } from './layer-types/add.js';
export { ATTENTION_PROJECTIONS, attentionLayerSchema, type AttentionProjection } from './layer-types/attention.js';
export { batchNormLayerSchema } from './layer-types/batch-norm.js';
export { concatLayerSchema } from './layer-types/concat.js';
export { conv2dLayerSchema } from './layer-types/conv2d.js';
export { denseLayerSchema } from './layer-types/dense.js';
export { dropoutLayerSchema } from './layer-types/dropout.js';
export { embeddingLayerSchema } from './layer-types/embedding.js';
export { flattenLayerSchema } from './layer-types/flatten.js';
export { asPair } from './layer-types/geometry.js';
export type { WindowPadding } from './layer-types/fields.js';
export { globalAvgPool2dLayerSchema } from './layer-types/global-avg-pool2d.js';
export { layerSchema, WRITABLE_LAYER_TYPES, type Layer } from './layer-types/index.js';
export { layerNormLayerSchema } from './layer-types/layer-norm.js';
export { onnxLayerSchema, type OnnxLayer } from './layer-types/onnx.js';
export { pool2dLayerSchema } from './layer-types/pool2d.js';
export { positionEmbeddingLayerSchema } from './layer-types/position-embedding.js';
export { sequencePoolLayerSchema } from './layer-types/sequence-pool.js';

/** Element-wise activation name. */
export type Activation = z.infer<typeof activationSchema>;
/** A validated `dense` layer: see {@link denseLayerSchema}. */
export type DenseLayer = z.infer<typeof denseLayerSchema>;
/** A validated `conv2d` layer: see {@link conv2dLayerSchema}. */
export type Conv2dLayer = z.infer<typeof conv2dLayerSchema>;
/** A validated `pool2d` layer: see {@link pool2dLayerSchema}. */
export type Pool2dLayer = z.infer<typeof pool2dLayerSchema>;
/** A validated `globalAvgPool2d` layer: see {@link globalAvgPool2dLayerSchema}. */
export type GlobalAvgPool2dLayer = z.infer<typeof globalAvgPool2dLayerSchema>;
/** A validated `flatten` layer: see {@link flattenLayerSchema}. */
export type FlattenLayer = z.infer<typeof flattenLayerSchema>;
/** A validated `batchNorm` layer: see {@link batchNormLayerSchema}. */
export type BatchNormLayer = z.infer<typeof batchNormLayerSchema>;
/** A validated `dropout` layer: see {@link dropoutLayerSchema}. */
export type DropoutLayer = z.infer<typeof dropoutLayerSchema>;
/** A validated `activation` layer: see {@link activationLayerSchema}. */
export type ActivationLayer = z.infer<typeof activationLayerSchema>;
/** A validated `add` (residual merge) layer: see {@link addLayerSchema}. */
export type AddLayer = z.infer<typeof addLayerSchema>;
/** A validated `concat` (merge along the last axis) layer: see {@link concatLayerSchema}. */
export type ConcatLayer = z.infer<typeof concatLayerSchema>;
/** A validated `embedding` (token ids to vectors) layer: see {@link embeddingLayerSchema}. */
export type EmbeddingLayer = z.infer<typeof embeddingLayerSchema>;
/** A validated `positionEmbedding` layer: see {@link positionEmbeddingLayerSchema}. */
export type PositionEmbeddingLayer = z.infer<typeof positionEmbeddingLayerSchema>;
/** A validated `layerNorm` layer: see {@link layerNormLayerSchema}. */
export type LayerNormLayer = z.infer<typeof layerNormLayerSchema>;
/** A validated `attention` (multi-head self-attention) layer: see {@link attentionLayerSchema}. */
export type AttentionLayer = z.infer<typeof attentionLayerSchema>;
/** A validated `sequencePool` layer: see {@link sequencePoolLayerSchema}. */
export type SequencePoolLayer = z.infer<typeof sequencePoolLayerSchema>;
/** A layer as a user may write it (defaults optional). */
export type LayerInput = z.input<typeof layerSchema>;
/** The `type` tag of a layer. */
export type LayerType = Layer['type'];

/** The opaque ONNX blocks of a list of layers (see {@link onnxLayerSchema}). */
export function opaqueLayers(layers: readonly Layer[]): OnnxLayer[] {
  return layers.filter((l): l is OnnxLayer => l.type === 'onnx');
}
