import { booleanOption } from '@headstart/core';
import { z } from 'zod';
import { transferOptionsSchema } from './transfer-options.js';

/**
 * Options of `pretrain-finetune`: the pre-training phase's own (`objective`, `maskRate`, `pretrain*`,
 * `noise*`, `greedy`, `decoderHidden`), and for fine-tuning the shared transfer options (`epochs`, `lr`, `head`,
 * `freeze`, `lrMult`, `l2sp` towards the pre-trained encoder). Feature caching does not apply: the
 * encoder trains.
 */
export const pretrainFinetuneOptionsSchema = transferOptionsSchema.omit({ cacheFeatures: true }).extend({
  /**
   * What pre-training learns: `autoencoder` reconstructs the inputs (numeric data); `mlm` predicts
   * masked tokens (text: an encoder over token ids, BERT's masked-language modelling).
   */
  objective: z.enum(['autoencoder', 'mlm']).default('autoencoder'),
  /** `mlm`: the share of real, non-special tokens masked in each sequence (BERT's 0.15). */
  maskRate: z.coerce.number().gt(0).lt(1).default(0.15),
  /** Epochs of unsupervised pre-training (per layer when `greedy`). */
  pretrainEpochs: z.coerce.number().int().positive().default(20),
  /** Learning rate of pre-training. */
  pretrainLr: z.coerce.number().positive().default(1e-3),
  /** Corruption of the autoencoder's inputs: the drop probability (`mask`) or the std (`gaussian`); 0: a plain autoencoder. */
  noise: z.coerce.number().min(0).lt(1).default(0.2),
  /** `mask` zeroes inputs (denoising autoencoders, Vincent et al. 2008); `gaussian` adds noise. */
  noiseType: z.enum(['mask', 'gaussian']).default('mask'),
  /** DBN-style: pre-train one layer at a time on the frozen outputs of the layers below. */
  greedy: booleanOption.default(false),
  /** A hidden decoder layer mirroring the encoder (whole-encoder pre-training only; greedy layers decode directly). */
  decoderHidden: booleanOption.default(true),
});

/** Parsed options of `pretrain-finetune`. */
export type PretrainFinetuneOptions = z.infer<typeof pretrainFinetuneOptionsSchema>;
