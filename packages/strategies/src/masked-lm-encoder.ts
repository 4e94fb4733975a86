import type { Strategy } from '@headstart/core';
import { tokenEncoderOf, maskedLmPretraining } from './masked-lm.js';
import { trainableParameters } from './parameter-sets.js';
import { pretrainFinetuneOptionsSchema, type PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { VERSION } from './version.js';
import { mergeWeights } from './weights.js';

/**
 * `masked-lm-encoder`: the pre-training half of `pretrain-finetune objective=mlm` alone. The token
 * encoder of the classifier `ctx.spec` learns as a masked-language model on the unlabelled texts
 * (`--unlabeled`, else the training texts without their labels), and the classifier is returned with
 * that encoder and a fresh, untrained head: a starting point for `frozen-base`, `continued` or `lora`,
 * which replace the head, as Hugging Face's `from_pretrained` on an MLM checkpoint does. Labels are
 * read only for the number of classes. Not registered as a `headstart train` strategy: its model
 * classifies nothing until a head is trained; the text demo pre-trains its source with it.
 */
export function maskedLmEncoder(): Strategy<PretrainFinetuneOptions> {
  return {
    name: 'masked-lm-encoder',
    meta: {
      version: VERSION,
      description: 'Pre-train a text encoder as a masked-language model on unlabelled text; the classifier head stays untrained.',
    },
    options: pretrainFinetuneOptionsSchema,
    needsStart: 'optional',
    usesUnlabeled: true,
    async run(ctx, options) {
      const spec = ctx.from?.spec ?? ctx.spec;
      const encoder = new Set(tokenEncoderOf(spec).layers.map((layer) => layer.name));
      const { weights, metrics } = await maskedLmPretraining(ctx, spec, { ...options, objective: 'mlm' });
      const fresh = spec.layers.filter((layer) => !encoder.has(layer.name)).map((layer) => layer.name);
      const model = await ctx.createModel(spec, mergeWeights(spec, weights, fresh, ctx.rng));
      // Metrics are missing only for a run resumed past pre-training, and this strategy has no later phase.
      return { model, labels: ctx.data.train.labelMap ?? [], metrics: metrics!, trainable: trainableParameters(tokenEncoderOf(spec)) };
    },
  };
}
