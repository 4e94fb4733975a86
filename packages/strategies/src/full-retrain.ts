import { decideHeadSize, trainingOptionsSchema, withHeadUnits, type Strategy, type TrainingOptions } from '@headstart/core';
import { classifierLossShape, type ClassifierLossOptions } from './classifier-loss.js';
import { phasePlan } from './phase-plan.js';
import { VERSION } from './version.js';

/**
 * Options of `full-retrain`: the shared training options and the classifier's loss options (optional
 * here, as parsing gives them their defaults: options built from `trainingOptionsSchema` still fit).
 */
export type FullRetrainOptions = TrainingOptions & Partial<ClassifierLossOptions>;

const fullRetrainOptionsSchema = trainingOptionsSchema.extend(classifierLossShape);

/**
 * `full-retrain`: training from scratch. Fresh seeded weights for the architecture (`--model`,
 * the `--from` model's architecture, or the default for the data), every parameter trained.
 */
export function fullRetrain(): Strategy<FullRetrainOptions> {
  return {
    name: 'full-retrain',
    meta: { version: VERSION, description: 'Train every weight from a fresh seeded initialisation (training from scratch).' },
    options: fullRetrainOptionsSchema,
    needsStart: 'optional',
    async run(ctx, options) {
      const labels = ctx.data.train.labelMap ?? [];
      const start = ctx.from?.spec ?? ctx.spec;
      decideHeadSize(ctx, 'full-retrain', start, labels.length);
      const { spec } = withHeadUnits(start, labels.length);
      const model = await ctx.createModel(spec);
      const trainable = model
        .parameters()
        .filter((p) => p.trainable)
        .map((p) => p.name);
      const result = await ctx.fit(model, phasePlan(ctx, options, { phase: 'train', trainable }));
      return { model, labels, metrics: result.metrics, trainable };
    },
  };
}
