import type { FitResult, Model, ModelSpec, NamedTensors, StrategyContext, TrainingOptions } from '@headstart/core';
import { baseFeatures, isDeterministic } from './cached-features.js';
import { splitAtHead } from './head.js';
import { trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { weightsFor } from './weights.js';

/** What {@link trainHead} needs: the full model's spec and weights, and where its head starts. */
export interface HeadTraining {
  spec: ModelSpec;
  weights: NamedTensors;
  /** First layer of the head. */
  head: string;
  phase: string;
  options: TrainingOptions;
  /** Use cached base features when the base is deterministic. */
  cacheFeatures: boolean;
}

/**
 * Train only the head of a model on a frozen base. When the base is deterministic and the data is
 * not augmented its features are computed once and the head trains on them alone — the same
 * function, at a fraction of the cost per epoch; otherwise the whole model runs with the base frozen
 * (batch-norm in inference mode).
 */
export async function trainHead(
  ctx: StrategyContext,
  t: HeadTraining,
): Promise<{ model: Model; result: FitResult; trainable: string[]; cached: boolean }> {
  const split = splitAtHead(t.spec, t.head);
  const headLayers = split.head.layers.map((l) => l.name);
  const trainable = trainableParameters(t.spec, headLayers);
  const cacheable = t.cacheFeatures && split.base !== undefined && isDeterministic(split.base);
  // Augmented images change every step, so the base's features of them cannot be computed once.
  if (cacheable && ctx.data.augment && !ctx.dryRun)
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `${t.phase}: the training images are augmented, so the frozen base runs on every batch`,
    });
  if (cacheable && !ctx.data.augment && !ctx.dryRun && split.base) {
    const [train, val] = await baseFeatures(ctx, split.base, t.weights, [ctx.data.train, ...(ctx.data.val ? [ctx.data.val] : [])]);
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `${t.phase}: the frozen base is deterministic, so its features were computed once; the head trains on them alone`,
    });
    const headModel = await ctx.createModel(split.head, weightsFor(split.head, t.weights));
    try {
      const result = await ctx.fit(
        headModel,
        phasePlan(ctx, t.options, { phase: t.phase, trainable, train: train!, ...(val ? { val } : {}) }),
      );
      const merged = new Map([...weightsFor(split.base, t.weights), ...(await headModel.getWeights())]);
      const model = await ctx.backend.createModel(t.spec, merged, { seed: ctx.seed });
      return { model, result: { ...result, model }, trainable, cached: true };
    } finally {
      headModel.dispose();
    }
  }
  const model = await ctx.createModel(t.spec, t.weights);
  const baseBatchNorm = (split.base?.layers ?? []).filter((l) => l.type === 'batchNorm').map((l) => l.name);
  const result = await ctx.fit(model, phasePlan(ctx, t.options, { phase: t.phase, trainable, frozenBatchNorm: baseBatchNorm }));
  return { model, result, trainable, cached: false };
}
