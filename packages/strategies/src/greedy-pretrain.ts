import { outputShape, type Dataset, type ModelSpec, type NamedTensors, type StrategyContext } from '@headstart/core';
import { autoencoderSpec } from './autoencoder.js';
import { baseFeatures } from './cached-features.js';
import { encoderBlocks } from './encoder-blocks.js';
import type { PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { trainAutoencoder } from './train-autoencoder.js';
import { weightsFor } from './weights.js';

/** Phase names of greedy pre-training over `encoder`, bottom-up. */
export function greedyPhases(encoder: ModelSpec): string[] {
  return encoderBlocks(encoder).map((b) => b.phase);
}

/**
 * Greedy layer-wise pre-training (Hinton et al. 2006, Bengio et al. 2007): each dense/conv layer in
 * turn learns as a one-layer denoising autoencoder of the outputs of the (frozen, already
 * pre-trained) layers below. Phases in `done` are skipped. Returns the encoder's weights.
 */
export async function greedyPretrain(
  ctx: StrategyContext,
  encoder: ModelSpec,
  weights: NamedTensors,
  data: Dataset,
  options: PretrainFinetuneOptions,
  done: ReadonlySet<string>,
): Promise<NamedTensors> {
  let current = weights;
  const reserved = encoder.layers.map((l) => l.name);
  for (const block of encoderBlocks(encoder)) {
    if (done.has(block.phase)) continue;
    const below = block.below
      ? await ctx.backend.createModel(block.below, weightsFor(block.below, current), { seed: ctx.seed })
      : undefined;
    const inputs = block.below ? await blockInputs(ctx, block.below, current, data) : data;
    const trained = await trainAutoencoder(ctx, {
      phase: block.phase,
      autoencoder: autoencoderSpec(block.spec, { hidden: false, reserved }),
      weights: current,
      data: inputs,
      options,
      ...(below ? { below } : {}),
      describe: block.below
        ? `the outputs of ${block.below.layers.map((l) => l.name).join(', ')} for ${data.size} unlabelled samples`
        : `${data.size} unlabelled samples`,
    });
    current = new Map([...current, ...weightsFor(block.spec, trained)]);
  }
  return current;
}

/** The frozen layers' outputs for every sample; an empty stand-in on `--dry-run`, which trains nothing. */
async function blockInputs(ctx: StrategyContext, below: ModelSpec, weights: NamedTensors, data: Dataset): Promise<Dataset> {
  if (ctx.dryRun) return { ...data, size: 0, features: new Float32Array(0), sampleShape: outputShape(below) };
  const [features] = await baseFeatures(ctx, below, weights, [data]);
  return features!;
}
