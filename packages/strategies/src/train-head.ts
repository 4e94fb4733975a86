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
 * Train only the head of a model on a frozen base. When the base is deterministic its features are
 * computed once and the head trains on them alone — the same function, at a fraction of the cost
 * per epoch; otherwise the whole model runs with the base frozen (batch-norm in inference mode).
 */
export async function trainHead(
  ctx: StrategyContext,
  t: HeadTraining,
): Promise<{ model: Model; result: FitResult; trainable: string[]; cached: boolean }> {
  const split = splitAtHead(t.spec, t.head);
  const headLayers = split.head.layers.map((l) => l.name);
  const trainable = trainableParameters(t.spec, headLayers);
  if (t.cacheFeatures && !ctx.dryRun && split.base && isDeterministic(split.base)) {
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
