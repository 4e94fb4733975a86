import type { BatchNormLayer } from '@headstart/core';
import { batchNormInference, batchNormTraining, type BatchNormParams } from '../ops/batch-norm.js';
import type { Flow, LayerContext } from './layer-context.js';

/**
 * Batch normalisation over channels. While training (and not frozen) it normalises with the batch's
 * statistics and reports them for the moving averages; otherwise it uses the moving statistics.
 */
export function batchNormLayer(ctx: LayerContext, layer: BatchNormLayer, x: Flow): Flow {
  const param = (p: string): string => ctx.param(`${layer.name}.${p}`);
  const p: BatchNormParams = {
    gamma: param('gamma'),
    beta: param('beta'),
    movingMean: param('movingMean'),
    movingVariance: param('movingVariance'),
    epsilon: layer.epsilon,
  };
  if (!ctx.training || ctx.frozenBatchNorm.has(layer.name)) return { value: batchNormInference(ctx, x.value, p), layout: x.layout };
  const { y, mean, variance } = batchNormTraining(ctx, x.value, p);
  ctx.onStatistics({ layer: layer.name, mean, variance });
  return { value: y, layout: x.layout };
}
