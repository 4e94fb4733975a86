import { HeadstartError, inferShapes, trainingOptionsSchema, type Strategy } from '@headstart/core';
import { z } from 'zod';
import { classifierLossShape } from './classifier-loss.js';
import { headIndex, headLayers } from './head.js';
import { loraTargets, withLora } from './lora-spec.js';
import { loraAdapterTensors, loraWeights } from './lora-weights.js';
import { trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { defaultEpochs, defaultsOf, describeEpochs } from './small-data.js';
import { transferStart } from './start-model.js';
import { globList } from './transfer-options.js';
import { VERSION } from './version.js';

/** Options of `lora`; PEFT's usual rank 8 and alpha 16. */
const loraOptionsSchema = trainingOptionsSchema.extend({
  /** Rank r of the adapters. */
  rank: z.coerce.number().int().positive().default(8),
  /** The adapters' output is scaled by alpha / rank. */
  alpha: z.coerce.number().positive().default(16),
  /**
   * Globs of what to adapt below the head: dense and conv2d layers by name, attention projections as
   * `<layer>.q|k|v|out` (`*.q,*.v`: PEFT's query and value); default every dense layer below the head.
   */
  target: globList.default([]),
  /** First layer of the (new) head, which trains in full; default the last layer with parameters. */
  head: z.string().min(1).optional(),
  lr: z.coerce.number().positive().default(3e-3),
  /** Default 30, or enough for 300 steps on tiny data (see small-data.ts). */
  epochs: z.coerce.number().int().positive().optional(),
  ...classifierLossShape,
});

/** Options of `lora`. */
export type LoraOptions = z.infer<typeof loraOptionsSchema>;

/**
 * `lora`: low-rank adapters (LoRA, as Hugging Face PEFT) on the target layers of a checkpoint; the
 * base stays frozen (core keeps batch norm whose scale and shift do not train in inference mode), only the adapters and a new head train, and the
 * output is an adapter-only checkpoint naming its base by sha-256 (`headstart merge` folds it in).
 */
export function lora(): Strategy<LoraOptions> {
  return {
    name: 'lora',
    meta: { version: VERSION, description: 'Train low-rank adapters (LoRA) and a new head on a frozen base; saves only the adapters.' },
    options: loraOptionsSchema,
    needsStart: 'required',
    async run(ctx, options) {
      // Checked before training, not when the adapter is saved: the base is named by its checkpoint's sha-256.
      if (ctx.from?.manifest?.adapter)
        throw new HeadstartError(
          'USAGE',
          `strategy lora: --from ${ctx.from.file} is a LoRA adapter; merge it into its base first (headstart merge ${ctx.from.file} --out merged.safetensors) and start from that`,
        );
      // A dry run's later pipeline stage starts from a model in memory, with no file to name.
      if (ctx.from && ctx.from.sha256 === undefined && !ctx.dryRun)
        throw new HeadstartError(
          'USAGE',
          `strategy lora: --from ${ctx.from.file}: an adapter names its base by a checkpoint's sha-256; import it first (headstart import ${ctx.from.file} --out base.safetensors)`,
        );
      const start = transferStart(ctx, 'lora', options.head, false);
      const head = headLayers(start.spec, start.head);
      const targets = loraTargets(start.spec, headIndex(start.spec, start.head), options.target);
      const spec = withLora(start.spec, targets, options.rank, options.alpha);
      const weights = new Map([...start.weights, ...loraWeights(spec, targets, options.rank, options.alpha, ctx.rng)]);
      const adapters = targets.flatMap((t) => loraAdapterTensors(t).trained);
      const trainable = [...adapters, ...trainableParameters(start.spec, head)];
      const samples = ctx.data.train.size;
      const defaults: Record<string, number> = {};
      const epochs = options.epochs ?? (defaults.epochs = defaultEpochs(samples, options.batchSize));
      const total = inferShapes(spec).flatMap((n) => n.parameters.filter((p) => p.role !== 'statistic'));
      const count = (names: string[]) =>
        total.filter((p) => names.includes(p.name)).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      const all = count(total.map((p) => p.name));
      ctx.emit({
        type: 'log',
        level: 'info',
        message: `lora: rank ${options.rank}, alpha ${options.alpha} on ${targets.join(', ')}; ${count(trainable)} of ${all} parameters train (${((100 * count(trainable)) / all).toFixed(2)}%) for ${describeEpochs(epochs, samples, options.batchSize)}`,
      });
      const model = await ctx.createModel(spec, weights);
      const result = await ctx.fit(model, phasePlan(ctx, { ...options, epochs }, { phase: 'lora', trainable }));
      // The head's every tensor, statistics included: a head batch norm's running statistics change as it trains.
      const headTensors = inferShapes(spec)
        .filter((node) => head.includes(node.layer.name))
        .flatMap((node) => node.parameters.map((p) => p.name));
      const saved = [...new Set([...targets.flatMap((t) => loraAdapterTensors(t).frozen), ...trainable, ...headTensors])];
      return {
        model,
        labels: start.labels,
        metrics: result.metrics,
        trainable,
        ...defaultsOf(defaults),
        adapter: { saved, record: { kind: 'lora', rank: options.rank, alpha: options.alpha, targets } },
      };
    },
  };
}
