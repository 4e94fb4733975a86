import type { BatchNormLayer } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import type { ForwardMode, LayerForward } from './forward-types.js';
import type { ParameterStore } from '../parameters.js';

/**
 * Batch normalisation over the last axis: `gamma · (x − mean)/√(variance + ε) + beta`. Training mode
 * normalises with the batch's statistics and reports them (see {@link movingAverage}); inference mode,
 * and training with the layer frozen, use the moving statistics and leave them alone.
 */
export function batchNormLayer(layer: BatchNormLayer, params: ParameterStore): LayerForward {
  const gamma = params.get(`${layer.name}.gamma`);
  const beta = params.get(`${layer.name}.beta`);
  const movingMean = params.get(`${layer.name}.movingMean`);
  const movingVariance = params.get(`${layer.name}.movingVariance`);
  const normalise = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor =>
    tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, layer.epsilon))), gamma), beta);
  return (x, mode) => {
    if (!usesBatchStatistics(layer.name, mode)) return normalise(x, movingMean, movingVariance);
    const axes = x.shape.slice(0, -1).map((_, axis) => axis);
    const { mean, variance } = tf.moments(x, axes);
    // Kept beyond the gradient's own tidy so the trainer can fold them into the moving statistics.
    if (mode.onBatchStatistics) mode.onBatchStatistics({ layer: layer.name, mean: tf.keep(mean), variance: tf.keep(variance) });
    return normalise(x, mean, variance);
  };
}

function usesBatchStatistics(layer: string, mode: ForwardMode): boolean {
  return mode.training && !mode.frozenBatchNorm?.has(layer);
}

/**
 * Keras's moving-average update, `moving · momentum + batch · (1 − momentum)`, with the biased batch
 * variance. Returns the new value; the caller assigns it.
 */
export function movingAverage(moving: tf.Tensor, batch: tf.Tensor, momentum: number): tf.Tensor {
  return tf.add(tf.mul(moving, momentum), tf.mul(batch, 1 - momentum));
}
