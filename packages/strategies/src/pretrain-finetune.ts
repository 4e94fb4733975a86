import { decideHeadSize, HeadstartError, type ModelSpec, type Strategy } from '@headstart/core';
import { splitAtHead, withNewHead } from './head.js';
import { announceGroups } from './group-listing.js';
import { discriminativeGroups, frozenParameters, layerGroupsTopDown, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { maskedLmPretraining } from './masked-lm.js';
import { pretrainEncoder } from './pretrain-encoder.js';
import { pretrainFinetuneOptionsSchema, type PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { VERSION } from './version.js';
import { mergeWeights } from './weights.js';

export type { PretrainFinetuneOptions } from './pretrain-finetune-options.js';

/**
 * `pretrain-finetune`: unsupervised pre-training, then supervised fine-tuning. The encoder (the
 * model's layers below the head) learns as a denoising autoencoder on `--unlabeled` data (else the
 * training data without its labels) — whole, or layer by layer with `greedy` — then the decoder is
 * thrown away and everything is fine-tuned under a new head on the labels (phase `finetune`). With
 * `objective=mlm` (text) the encoder's per-token part learns as a masked-language model instead,
 * whose head is thrown away the same way (see masked-lm.ts). The
 * architecture is the `--from` model's (whose weights pre-training continues from), else
 * `--model` or the default for the data.
 */
export function pretrainFinetune(): Strategy<PretrainFinetuneOptions> {
  return {
    name: 'pretrain-finetune',
    meta: {
      version: VERSION,
      description: 'Pre-train the encoder as a denoising autoencoder on unlabelled data, then fine-tune it under a new head.',
    },
    options: pretrainFinetuneOptionsSchema,
    needsStart: 'optional',
    usesUnlabeled: true,
    async run(ctx, options) {
      const labels = ctx.data.train.labelMap ?? [];
      const start = ctx.from?.spec ?? ctx.spec;
      decideHeadSize(ctx, 'pretrain-finetune', start, labels.length);
      const { spec, headLayers } = withNewHead(start, labels.length, options.head);
      const encoder = options.objective === 'mlm' ? undefined : encoderOf(spec, headLayers[0]!);
      // Before pre-training: a --freeze glob that matches nothing must not cost its epochs.
      const frozen = frozenParameters(trainableParameters(spec), options.freeze);
      if (options.lrMult < 1) announceGroups(ctx, 'pretrain-finetune', layerGroupsTopDown(spec, headLayers[0]), options.lr, options.lrMult);
      const pretrained = encoder
        ? await pretrainEncoder(ctx, encoder, options, 'finetune')
        : (await maskedLmPretraining(ctx, spec, options)).weights;
      const model = await ctx.createModel(spec, mergeWeights(spec, pretrained, headLayers, ctx.rng));
      const trainable = trainableParameters(spec).filter((p) => !frozen.has(p));
      const result = await ctx.fit(
        model,
        phasePlan(ctx, options, {
          phase: 'finetune',
          trainable,
          groups: discriminativeGroups(spec, trainable, options.lr, options.lrMult, options.weightDecay, headLayers[0]),
          l2sp: { weight: options.l2sp, reference: pretrained },
        }),
      );
      return { model, labels, metrics: result.metrics, trainable };
    },
  };
}

/** The layers below the head: what pre-training trains and fine-tuning keeps. */
function encoderOf(spec: ModelSpec, head: string): ModelSpec {
  const { base } = splitAtHead(spec, head);
  if (!base)
    throw new HeadstartError(
      'USAGE',
      `pretrain-finetune: the head starts at the first layer ("${head}"), so there is no encoder to pre-train; name a later --head`,
    );
  return base;
}
