import type { Strategy } from '@headstart/core';
import { z } from 'zod';
import { announceGroups } from './group-listing.js';
import { checkTrainable, discriminativeGroups, layerGroupsTopDown, frozenParameters, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { transferStart } from './start-model.js';
import { trainHead } from './train-head.js';
import { transferOptionsSchema } from './transfer-options.js';
import { VERSION } from './version.js';

const lpFtOptionsSchema = transferOptionsSchema.extend({
  /** Epochs of the linear probe (head only). */
  probeEpochs: z.coerce.number().int().positive().default(30),
  /** Learning rate of the probe. */
  probeLr: z.coerce.number().positive().default(1e-2),
  /** Epochs of fine-tuning everything (`epochs` is the total's second part). */
  epochs: z.coerce.number().int().positive().default(15),
  /** Fine-tuning rate: low, so the probed head is not wrecked. */
  lr: z.coerce.number().positive().default(1e-4),
});

/** Options of `lp-ft`. */
export type LpFtOptions = z.infer<typeof lpFtOptionsSchema>;

/**
 * `lp-ft` (Kumar et al., 2022): a linear probe first — train the new head on the frozen base to
 * convergence — then fine-tune everything at a low rate, so the random head does not distort the
 * pretrained features early on. `--freeze GLOB` keeps parameters frozen in the fine-tuning too.
 */
export function lpFt(): Strategy<LpFtOptions> {
  return {
    name: 'lp-ft',
    meta: { version: VERSION, description: 'Linear probe (head only) to convergence, then fine-tune everything at a low rate.' },
    options: lpFtOptionsSchema,
    needsStart: 'required',
    async run(ctx, options) {
      const start = transferStart(ctx, 'lp-ft', options.head, false);
      const frozen = frozenParameters(trainableParameters(start.spec), options.freeze);
      const trainable = trainableParameters(start.spec).filter((p) => !frozen.has(p));
      checkTrainable(start.spec, trainable);
      if (options.lrMult < 1) announceGroups(ctx, 'lp-ft', layerGroupsTopDown(start.spec, start.head), options.lr, options.lrMult);
      const probeOptions = { ...options, epochs: options.probeEpochs, lr: options.probeLr };
      const probed =
        ctx.resume?.state.phase === 'finetune'
          ? undefined
          : await trainHead(ctx, {
              spec: start.spec,
              weights: start.weights,
              head: start.head,
              phase: 'probe',
              options: probeOptions,
              cacheFeatures: options.cacheFeatures,
            });
      const weights = probed ? await probed.model.getWeights() : start.weights;
      probed?.model.dispose();
      const model = await ctx.createModel(start.spec, weights);
      const result = await ctx.fit(
        model,
        phasePlan(ctx, options, {
          phase: 'finetune',
          trainable,
          groups: discriminativeGroups(start.spec, trainable, options.lr, options.lrMult, options.weightDecay, start.head),
          l2sp: { weight: options.l2sp, reference: start.reference },
        }),
      );
      return { model, labels: start.labels, metrics: result.metrics, trainable };
    },
  };
}
