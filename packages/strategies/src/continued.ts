import type { Strategy } from '@headstart/core';
import { z } from 'zod';
import { continuedPlan } from './continued-defaults.js';
import { announceGroups } from './group-listing.js';
import { checkTrainable, discriminativeGroups, layerGroupsTopDown, frozenParameters, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { defaultsOf } from './small-data.js';
import { transferStart } from './start-model.js';
import { trainHead } from './train-head.js';
import { transferOptionsSchema } from './transfer-options.js';
import { VERSION } from './version.js';

/** Options left out are chosen from the data by {@link continuedPlan} (and recorded in provenance). */
const continuedOptionsSchema = transferOptionsSchema.extend({
  /** Epochs of training every weight; default 30, or enough for 300 steps on tiny data. */
  epochs: z.coerce.number().int().positive().optional(),
  /** Rate of every weight; default 1e-3 after a head warm-up, else 1e-4. */
  lr: z.coerce.number().positive().optional(),
  /** Epochs of a replaced head alone (base frozen) before everything trains; 0: none. Default: see continuedPlan. */
  headEpochs: z.coerce.number().int().min(0).optional(),
  /** Rate of the head warm-up. */
  headLr: z.coerce.number().positive().default(1e-2),
});

/** Options of `continued`. */
export type ContinuedOptions = z.infer<typeof continuedOptionsSchema>;

/**
 * `continued`: start from a checkpoint and keep training every weight on new data, at a lower
 * rate; `--set l2sp=…` pulls the weights towards the pretrained ones. The head is replaced only
 * when the new labels differ from the checkpoint's; a replaced head warms up alone first unless a
 * recipe (`--lr`, `--epochs`) was given.
 */
export function continued(): Strategy<ContinuedOptions> {
  return {
    name: 'continued',
    meta: { version: VERSION, description: 'Continue training every weight of a checkpoint on new data (fine-tuning).' },
    options: continuedOptionsSchema,
    needsStart: 'required',
    async run(ctx, options) {
      const start = transferStart(ctx, 'continued', options.head, true);
      const frozen = frozenParameters(trainableParameters(start.spec), options.freeze);
      const trainable = trainableParameters(start.spec).filter((p) => !frozen.has(p));
      checkTrainable(start.spec, trainable);
      const plan = continuedPlan({ ...options, samples: ctx.data.train.size, replacedHead: start.replacedHead });
      if (plan.note) ctx.emit({ type: 'log', level: 'info', message: plan.note });
      const resolved = { ...options, epochs: plan.epochs, lr: plan.lr };
      if (options.lrMult < 1) announceGroups(ctx, 'continued', layerGroupsTopDown(start.spec, start.head), plan.lr, options.lrMult);
      const warmed =
        plan.headEpochs === 0 || ctx.resume?.state.phase === 'continue'
          ? undefined
          : await trainHead(ctx, {
              spec: start.spec,
              weights: start.weights,
              head: start.head,
              phase: 'head',
              options: { ...resolved, epochs: plan.headEpochs, lr: options.headLr },
              cacheFeatures: options.cacheFeatures,
            });
      const weights = warmed ? await warmed.model.getWeights() : start.weights;
      warmed?.model.dispose();
      const model = await ctx.createModel(start.spec, weights);
      const result = await ctx.fit(
        model,
        phasePlan(ctx, resolved, {
          phase: 'continue',
          trainable,
          groups: discriminativeGroups(start.spec, trainable, plan.lr, options.lrMult, options.weightDecay, start.head),
          l2sp: { weight: options.l2sp, reference: start.reference },
        }),
      );
      return { model, labels: start.labels, metrics: result.metrics, trainable, ...defaultsOf(plan.defaults) };
    },
  };
}
