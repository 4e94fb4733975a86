import {
  decideHeadSize,
  optimizerFrom,
  scheduleFrom,
  earlyStoppingFrom,
  trainingOptionsSchema,
  withHeadUnits,
  type Strategy,
  type TrainingOptions,
} from '@headstart/core';
import { classifierLossShape, lossOptionsFrom, mixupFrom, type ClassifierLossOptions } from './classifier-loss.js';
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
      const stepsPerEpoch = Math.ceil(ctx.data.train.size / options.batchSize);
      const lossOptions = lossOptionsFrom(options, ctx.data.train);
      const mixup = mixupFrom(options, ctx.data.train);
      const result = await ctx.fit(model, {
        phase: 'train',
        train: ctx.data.train,
        val: ctx.data.val,
        epochs: options.epochs,
        batchSize: options.batchSize,
        trainer: {
          trainable,
          groups: [{ name: 'all', params: trainable, lr: options.lr, weightDecay: options.weightDecay }],
          optimizer: optimizerFrom(options),
          loss: 'softmaxCrossEntropy',
          ...(lossOptions ? { lossOptions } : {}),
          seed: ctx.seed,
        },
        schedule: scheduleFrom(options, stepsPerEpoch),
        earlyStopping: earlyStoppingFrom(options),
        ...(mixup ? { transform: mixup } : {}),
      });
      return { model, labels, metrics: result.metrics, trainable };
    },
  };
}
