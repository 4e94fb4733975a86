import {
  featureData,
  HeadstartError,
  isTokenDataset,
  initializeWeights,
  sizeOf,
  type Dataset,
  type ModelSpec,
  type NamedTensors,
  type StrategyContext,
} from '@headstart/core';
import { withoutLabels } from '@headstart/data';
import { autoencoderSpec } from './autoencoder.js';
import { greedyPhases, greedyPretrain } from './greedy-pretrain.js';
import type { PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { resumedPhaseIndex } from './resume-phase.js';
import { trainAutoencoder } from './train-autoencoder.js';
import { weightsFor } from './weights.js';

/**
 * Unsupervised pre-training of `encoder` as a denoising autoencoder — whole (phase `pretrain`) or
 * layer by layer (`pretrain-<layer>`) — on `--unlabeled` data, else the training data without its
 * labels. Phases a resumed run already finished are skipped. Returns the encoder's weights.
 * @param next the phase that follows (`finetune`), so a run resumed there skips pre-training.
 */
export async function pretrainEncoder(
  ctx: StrategyContext,
  encoder: ModelSpec,
  options: PretrainFinetuneOptions,
  next: string,
): Promise<NamedTensors> {
  const data = pretrainingData(ctx, encoder);
  const phases = options.greedy ? greedyPhases(encoder) : ['pretrain'];
  let skip = resumedPhaseIndex(ctx, [...phases, next]);
  // L2-SP pulls towards the pre-trained encoder, which a fine-tuning checkpoint no longer holds: pre-train again (seeded, so identically).
  if (skip === phases.length && options.l2sp > 0) skip = 0;
  const start = startingEncoder(ctx, encoder, phases.includes(ctx.resume?.state.phase ?? ''));
  if (skip === phases.length) return start;
  if (options.greedy) return greedyPretrain(ctx, encoder, start, data, options, new Set(phases.slice(0, skip)));
  const trained = await trainAutoencoder(ctx, {
    phase: 'pretrain',
    autoencoder: autoencoderSpec(encoder, { hidden: options.decoderHidden }),
    weights: start,
    data,
    options,
    describe: `${data.size} unlabelled samples`,
  });
  return weightsFor(encoder, trained);
}

/**
 * `--unlabeled` data, which must have the model's input shape, else the training samples without
 * their labels, read in the model's input shape as training reads them (64 CSV columns as 8×8×1).
 */
function pretrainingData(ctx: StrategyContext, encoder: ModelSpec): Dataset {
  if (isTokenDataset(ctx.data.train))
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `pretrain-finetune: ${ctx.data.train.source.file} is text; an autoencoder pre-trains on float features`,
    );
  const unlabeled = ctx.data.unlabeled && featureData(ctx.data.unlabeled, 'pretrain-finetune with objective autoencoder');
  const data = unlabeled ?? {
    ...withoutLabels(ctx.data.train),
    sampleShape: fitted(ctx.data.train.sampleShape, encoder.inputShape),
  };
  if (data.sampleShape.join(',') !== encoder.inputShape.join(',')) {
    throw new HeadstartError(
      'BAD_INPUT',
      `pretrain-finetune: ${data.source.file}: samples have shape [${data.sampleShape}], but the model's input is [${encoder.inputShape}]${
        sizeOf(data.sampleShape) === sizeOf(encoder.inputShape)
          ? `; give --input-shape ${encoder.inputShape.join(',')} to read them in that shape`
          : ''
      }`,
    );
  }
  return data;
}

/** The model's input shape when a sample holds as many values, else the sample's own (refused above). */
function fitted(sampleShape: number[], inputShape: number[]): number[] {
  return sizeOf(sampleShape) === sizeOf(inputShape) ? inputShape : sampleShape;
}

/**
 * The encoder's weights before pre-training: `--from`'s (continued, domain-adaptive pre-training)
 * or fresh seeded ones, overlaid when resuming a pre-training phase with what the checkpoint holds
 * of the encoder — after a greedy phase it is the only place the layers pre-trained before it live.
 */
export function startingEncoder(ctx: StrategyContext, encoder: ModelSpec, resumingPretraining: boolean): NamedTensors {
  const fresh = initializeWeights(encoder, ctx.rng.fork());
  const start = ctx.from ? new Map([...fresh, ...weightsFor(encoder, ctx.from.weights)]) : fresh;
  return resumingPretraining && ctx.resume ? new Map([...start, ...weightsFor(encoder, ctx.resume.weights)]) : start;
}
