import type { Strategy } from '@headstart/core';
import { z } from 'zod';
import { announceGroups } from './group-listing.js';
import { checkTrainable, discriminativeGroups, layerGroupsTopDown, frozenParameters, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { transferStart } from './start-model.js';
import { transferOptionsSchema } from './transfer-options.js';
import { VERSION } from './version.js';

/** Continued training fine-tunes: a tenth of the from-scratch rate by default. */
const continuedOptionsSchema = transferOptionsSchema.extend({ lr: z.coerce.number().positive().default(1e-4) });

/** Options of `continued`. */
export type ContinuedOptions = z.infer<typeof continuedOptionsSchema>;

/**
 * `continued`: start from a checkpoint and keep training every weight on new data, at a lower
 * rate; `--set l2sp=…` pulls the weights towards the pretrained ones. The head is replaced only
 * when the new labels differ from the checkpoint's.
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
      if (options.lrMult < 1) announceGroups(ctx, 'continued', layerGroupsTopDown(start.spec, start.head), options.lr, options.lrMult);
      const model = await ctx.createModel(start.spec, start.weights);
      const result = await ctx.fit(
        model,
        phasePlan(ctx, options, {
          phase: 'continue',
          trainable,
          groups: discriminativeGroups(start.spec, trainable, options.lr, options.lrMult, options.weightDecay, start.head),
          l2sp: { weight: options.l2sp, reference: start.reference },
        }),
      );
      return { model, labels: start.labels, metrics: result.metrics, trainable };
    },
  };
}
