import type { Strategy } from '@headstart/core';
import { checkTrainable, frozenParameters, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { defaultEpochs, defaultsOf, describeEpochs } from './small-data.js';
import { transferStart } from './start-model.js';
import { trainHead } from './train-head.js';
import { z } from 'zod';
import { transferOptionsSchema } from './transfer-options.js';
import { VERSION } from './version.js';

/** A head alone on fixed features tolerates (and with few samples needs) a higher rate than a whole network. */
const frozenBaseOptionsSchema = transferOptionsSchema.extend({
  lr: z.coerce.number().positive().default(1e-2),
  /** Default 30, or enough for 300 steps on tiny data (see small-data.ts). */
  epochs: z.coerce.number().int().positive().optional(),
});

/** Options of `frozen-base`. */
export type FrozenBaseOptions = z.infer<typeof frozenBaseOptionsSchema>;

/**
 * `frozen-base`: keep a pretrained base as it is and train a new head on it (feature extraction).
 * `--freeze GLOB` freezes more (or other) parameters; without it, everything below the head is frozen.
 */
export function frozenBase(): Strategy<FrozenBaseOptions> {
  return {
    name: 'frozen-base',
    meta: { version: VERSION, description: 'Freeze a pretrained base and train a new head on it.' },
    options: frozenBaseOptionsSchema,
    needsStart: 'required',
    async run(ctx, given) {
      const start = transferStart(ctx, 'frozen-base', given.head, false);
      const samples = ctx.data.train.size;
      const defaults: Record<string, number> = {};
      const epochs = given.epochs ?? (defaults.epochs = defaultEpochs(samples, given.batchSize));
      if (given.epochs === undefined)
        ctx.emit({
          type: 'log',
          level: 'info',
          message: `frozen-base: the head trains for ${describeEpochs(epochs, samples, given.batchSize)}; defaults chosen for this data: epochs=${epochs}`,
        });
      const options = { ...given, epochs };
      if (options.freeze.length === 0) {
        const { model, result, trainable } = await trainHead(ctx, {
          spec: start.spec,
          weights: start.weights,
          head: start.head,
          phase: 'head',
          options,
          cacheFeatures: options.cacheFeatures,
        });
        return { model, labels: start.labels, metrics: result.metrics, trainable, ...defaultsOf(defaults) };
      }
      // Explicit globs: train everything they leave unfrozen, through the whole model.
      const frozen = frozenParameters(trainableParameters(start.spec), options.freeze);
      const trainable = trainableParameters(start.spec).filter((p) => !frozen.has(p));
      checkTrainable(start.spec, trainable);
      const model = await ctx.createModel(start.spec, start.weights);
      const result = await ctx.fit(model, phasePlan(ctx, options, { phase: 'head', trainable }));
      return { model, labels: start.labels, metrics: result.metrics, trainable, ...defaultsOf(defaults) };
    },
  };
}
