import type { Dataset, Model, NamedTensors, StrategyContext } from '@headstart/core';
import type { Autoencoder } from './autoencoder.js';
import { frozenStack } from './frozen-stack.js';
import { trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import type { PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { reconstructionLoss } from './reconstruction.js';
import { mergeWeights } from './weights.js';

/** One phase of unsupervised pre-training. */
export interface AutoencoderTraining {
  phase: string;
  autoencoder: Autoencoder;
  /** Starting weights of the encoder part; the decoder starts fresh. */
  weights: NamedTensors;
  /** Inputs to reconstruct (the raw samples, or the features of frozen layers below). */
  data: Dataset;
  options: PretrainFinetuneOptions;
  /** The frozen layers below, which computed `data`; trained as a {@link frozenStack}, which disposes it. */
  below?: Model | undefined;
  /** What the log line calls the inputs. */
  describe: string;
}

/**
 * Train a denoising autoencoder (loss `mse`, target its own clean input, corrupted inputs) and
 * report its reconstruction loss on clean inputs before and after. Returns all its weights.
 */
export async function trainAutoencoder(ctx: StrategyContext, t: AutoencoderTraining): Promise<NamedTensors> {
  const { spec, decoderLayers } = t.autoencoder;
  // A resumed phase continues from the saved weights, the decoder's included.
  const resumed = ctx.resume?.state.phase === t.phase ? ctx.resume.weights : undefined;
  const start = resumed ? new Map([...t.weights, ...resumed]) : t.weights;
  const model = await ctx.createModel(spec, mergeWeights(spec, start, resumed ? [] : decoderLayers, ctx.rng));
  const trained = t.below ? frozenStack(t.below, model) : model;
  try {
    const before = ctx.dryRun ? Number.NaN : await reconstructionLoss(model, t.data);
    const { options } = t;
    await ctx.fit(
      trained,
      phasePlan(
        ctx,
        { ...options, epochs: options.pretrainEpochs, lr: options.pretrainLr, patience: 0 },
        {
          phase: t.phase,
          trainable: trainableParameters(spec),
          train: t.data,
          loss: 'mse',
          target: 'inputs',
          ...(options.noise > 0 ? { inputNoise: { type: options.noiseType, amount: options.noise } } : {}),
        },
      ),
    );
    if (!ctx.dryRun) {
      const after = await reconstructionLoss(model, t.data);
      const noise = options.noise > 0 ? `${options.noiseType} ${options.noise}` : 'no noise';
      ctx.emit({
        type: 'log',
        level: 'info',
        message: `pretrain-finetune: ${t.phase}: denoising autoencoder (${noise}) on ${t.describe}: reconstruction loss on clean inputs ${format(before)} → ${format(after)}; decoder (${decoderLayers.join(', ')}) discarded`,
      });
    }
    return await model.getWeights();
  } finally {
    trained.dispose();
  }
}

function format(loss: number): string {
  return loss.toPrecision(4);
}
