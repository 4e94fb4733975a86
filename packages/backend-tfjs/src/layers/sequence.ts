import type {
  AttentionLayer,
  AttentionProjection,
  EmbeddingLayer,
  LayerNormLayer,
  PositionEmbeddingLayer,
  SequencePoolLayer,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../parameters.js';

/** What a padded key's score gets added: its softmax weight is then exactly 0 in float32 (as on onnx). */
export const MASKED_SCORE = -1e9;

/** `x·kernel + bias` on the last axis of `[n, in]` or `[n, T, in]` (rows flattened into one matMul and back). */
export function affine(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  const rows = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape.at(-1)!]);
  const product = tf.matMul(rows as tf.Tensor2D, kernel as tf.Tensor2D);
  const out = bias ? tf.add(product, bias) : product;
  return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), kernel.shape[1]!]);
}

/** Token ids `[n, T]` (int32) → `[n, T, D]`; a token equal to `paddingIndex` embeds to zeros. */
export function embeddingLayer(layer: EmbeddingLayer, params: ParameterStore): (ids: tf.Tensor) => tf.Tensor {
  const table = params.get(`${layer.name}.embeddings`);
  return (ids) => {
    const rows = tf.gather(table, ids as tf.Tensor<tf.Rank>);
    if (layer.paddingIndex === undefined) return rows;
    return tf.mul(rows, tf.expandDims(tf.cast(tf.notEqual(ids, tf.scalar(layer.paddingIndex, 'int32')), 'float32'), -1));
  };
}

/** `x [n, T, D]` plus the first `T` rows of the layer's `embeddings`. */
export function positionEmbeddingLayer(layer: PositionEmbeddingLayer, params: ParameterStore): (x: tf.Tensor) => tf.Tensor {
  const table = params.get(`${layer.name}.embeddings`);
  return (x) => tf.add(x, tf.slice(table, [0, 0], [x.shape[1]!, -1]));
}

/** Normalisation over the last axis with the biased variance, then `gamma` and `beta`. */
export function layerNormLayer(layer: LayerNormLayer, params: ParameterStore): (x: tf.Tensor) => tf.Tensor {
  const [gamma, beta] = [params.get(`${layer.name}.gamma`), params.get(`${layer.name}.beta`)];
  return (x) => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, layer.epsilon))), gamma), beta);
  };
}

/** Multi-head self-attention (DistilBERT's) on `[n, T, D]`, padded keys of the optional mask `[n, T]` left out. */
export function attentionLayer(layer: AttentionLayer, params: ParameterStore): (x: tf.Tensor, mask: tf.Tensor | undefined) => tf.Tensor {
  const param = (p: string): tf.Tensor => params.get(`${layer.name}.${p}`);
  const lora = layer.lora;
  // `x·pKernel + pBias`, plus `(alpha/rank)·(x·pLoraA)·pLoraB` on a projection with an adapter (PEFT's order).
  const project = (p: AttentionProjection, x: tf.Tensor): tf.Tensor => {
    const y = affine(x, param(`${p}Kernel`), param(`${p}Bias`));
    if (!lora?.projections.includes(p)) return y;
    return tf.add(y, tf.mul(affine(affine(x, param(`${p}LoraA`), undefined), param(`${p}LoraB`), undefined), lora.alpha / lora.rank));
  };
  return (x, mask) => {
    const [n, tokens, width] = x.shape as [number, number, number];
    const depth = width / layer.heads;
    const heads = (p: AttentionProjection): tf.Tensor =>
      tf.transpose(tf.reshape(project(p, x), [n, tokens, layer.heads, depth]), [0, 2, 1, 3]);
    let scores = tf.mul(tf.matMul(heads('q') as tf.Tensor4D, heads('k') as tf.Tensor4D, false, true), 1 / Math.sqrt(depth));
    if (mask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(tf.cast(mask, 'float32'), 1), -MASKED_SCORE), [n, 1, 1, tokens]));
    const context = tf.matMul(tf.softmax(scores) as tf.Tensor4D, heads('v') as tf.Tensor4D);
    const joined = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [n, tokens, width]);
    return project('out', joined);
  };
}

/** `[n, T, D]` → `[n, D]`: the first token, or the mean of the tokens the mask marks (at least one counted). */
export function sequencePoolLayer(layer: SequencePoolLayer): (x: tf.Tensor, mask: tf.Tensor | undefined) => tf.Tensor {
  return (x, mask) => {
    const [n, , width] = x.shape as [number, number, number];
    if (layer.mode === 'first') return tf.reshape(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [n, width]);
    if (!mask) return tf.mean(x, 1);
    const m = tf.cast(mask, 'float32');
    const count = tf.maximum(tf.sum(m, 1, true), 1);
    return tf.div(tf.sum(tf.mul(x, tf.expandDims(m, -1)), 1), count);
  };
}
