import {
  HeadstartError,
  inferShapes,
  isTokenDataset,
  maskingTokens,
  maskingTransform,
  optimizerFrom,
  scheduleFrom,
  validateSpec,
  type EpochMetrics,
  type FitPlan,
  type ModelSpec,
  type NamedTensors,
  type StrategyContext,
  type TokenDataset,
} from '@headstart/core';
import { trainableParameters } from './parameter-sets.js';
import type { PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { startingEncoder } from './pretrain-encoder.js';
import { resumedPhaseIndex } from './resume-phase.js';
import { mergeWeights, weightsFor } from './weights.js';

/** The layers of the masked-language-model head, DistilBERT's `vocab_transform`, `vocab_layer_norm`, `vocab_projector`. */
export const MLM_HEAD_LAYERS = ['mlm_transform', 'mlm_ln', 'mlm_projector'] as const;

/** What masked-language-model pre-training uses of a strategy's context. */
export type PretrainingContext = Pick<StrategyContext, 'seed' | 'rng' | 'resume' | 'createModel' | 'emit' | 'fit'>;

/**
 * The part of an encoder classifier that gives one vector per token: its layers below the first
 * `sequencePool` (all of them if it has none). Pooling has no parameters, so its weights are those of
 * the whole encoder.
 * @throws HeadstartError (USAGE) when that part does not output `[tokens, width]` from an embedding.
 */
export function tokenEncoderOf(spec: ModelSpec): ModelSpec {
  const order = inferShapes(spec);
  const pool = order.find((node) => node.layer.type === 'sequencePool');
  const encoder = pool ? layersUpTo(spec, order, pool.inputs[0]!) : spec;
  const last = inferShapes(encoder).at(-1)!;
  if (last.outputShape.length !== 2 || !encoder.layers.some((layer) => layer.type === 'embedding'))
    throw new HeadstartError(
      'USAGE',
      `pretrain-finetune: objective mlm needs an encoder over token ids (an embedding, then layers giving one vector per token), but the layers below the pooling end in "${last.layer.name}" giving [${last.outputShape}]`,
    );
  return encoder;
}

/**
 * `encoder` under DistilBERT's masked-language-model head: per token a GELU dense of the encoder's
 * width, a layer norm, and a dense over the vocabulary (its embedding's `vocabSize`) ending in softmax,
 * so the model outputs `[tokens, vocab]` for `tokenCrossEntropy`.
 */
export function maskedLmSpec(encoder: ModelSpec): ModelSpec {
  const width = inferShapes(encoder).at(-1)!.outputShape[1]!;
  const [transform, norm, projector] = MLM_HEAD_LAYERS;
  return validateSpec({
    ...(encoder.inputs ? { inputs: encoder.inputs } : { inputShape: encoder.inputShape }),
    layers: [
      ...encoder.layers,
      { type: 'dense', name: transform, units: width, activation: 'gelu' },
      { type: 'layerNorm', name: norm, epsilon: 1e-12 },
      { type: 'dense', name: projector, units: embeddingVocab(encoder), activation: 'softmax' },
    ],
  });
}

/**
 * The pre-training phase of masked-language modelling (`pretrain`): every parameter of `spec` (a
 * {@link maskedLmSpec}) trains with `tokenCrossEntropy` at `pretrainLr` for `pretrainEpochs`, each
 * batch masked by core's `maskingTransform` (15 % of the real, non-special tokens, 80/10/10) with
 * the mask and special ids of the data's tokenizer.
 * @throws HeadstartError (BAD_INPUT) when the tokenizer has no mask token or ids beyond the embedding.
 */
export function maskedLmPlan(
  ctx: Pick<StrategyContext, 'seed'>,
  spec: ModelSpec,
  data: TokenDataset,
  options: PretrainFinetuneOptions,
): FitPlan {
  const tokens = maskingTokens(data.tokenizer);
  const vocab = embeddingVocab(spec);
  if (tokens.vocabSize > vocab)
    throw new HeadstartError(
      'BAD_INPUT',
      `pretrain-finetune: objective mlm: ${data.source.file}'s tokenizer has ${tokens.vocabSize} ids, but the model's embedding holds ${vocab}; give the model an embedding of vocabSize ${tokens.vocabSize}`,
    );
  const trainable = trainableParameters(spec);
  const training = { ...options, lr: options.pretrainLr, epochs: options.pretrainEpochs };
  return {
    phase: 'pretrain',
    train: data,
    epochs: options.pretrainEpochs,
    batchSize: options.batchSize,
    trainer: {
      trainable,
      groups: [{ name: 'all', params: trainable, lr: options.pretrainLr, weightDecay: options.weightDecay }],
      optimizer: optimizerFrom(training),
      loss: 'tokenCrossEntropy',
      seed: ctx.seed,
    },
    schedule: scheduleFrom(training, Math.ceil(data.size / options.batchSize)),
    transform: maskingTransform({ ...tokens, rate: options.maskRate }),
  };
}

/**
 * Masked-language-model pre-training of `encoder` (see {@link maskedLmPlan}) from `start` (its
 * weights; the head starts fresh unless a resumed `pretrain` phase saved it), run by `ctx.fit`, core's
 * fit loop. Logs the loss of the first and last epoch and returns the encoder's weights (the head is
 * dropped) with the last epoch's metrics.
 */
export async function pretrainMaskedLm(
  ctx: PretrainingContext,
  encoder: ModelSpec,
  start: NamedTensors,
  data: TokenDataset,
  options: PretrainFinetuneOptions,
): Promise<{ weights: NamedTensors; metrics: EpochMetrics }> {
  const spec = maskedLmSpec(encoder);
  const plan = maskedLmPlan(ctx, spec, data, options);
  const resumed = ctx.resume?.state.phase === plan.phase ? ctx.resume.weights : undefined;
  const model = await ctx.createModel(
    spec,
    resumed ? mergeWeights(spec, new Map([...start, ...resumed]), [], ctx.rng) : mergeWeights(spec, start, MLM_HEAD_LAYERS, ctx.rng),
  );
  try {
    const result = await ctx.fit(model, plan);
    const [first, last] = [result.history[0]?.loss, result.history.at(-1)?.loss];
    // No epochs at all: a --dry-run, whose fit only reports the plan.
    const loss = first === undefined ? 'not trained (dry run)' : `masked-token loss ${format(first)} → ${format(last)}`;
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `pretrain-finetune: pretrain: masked-language model on ${data.size} sequences (${plan.transform!.name}): ${loss}; head (${MLM_HEAD_LAYERS.join(', ')}) discarded`,
    });
    return { weights: weightsFor(encoder, await model.getWeights()), metrics: result.metrics };
  } finally {
    model.dispose();
  }
}

/**
 * The layers `output` depends on, ending in it, each with its inputs pinned (a cut before the pooling
 * is crossed by the mask too, so core's single-value `specBetween` does not apply), and the model
 * inputs they read.
 */
function layersUpTo(spec: ModelSpec, order: ReturnType<typeof inferShapes>, output: string): ModelSpec {
  const needed = new Set([output]);
  for (const node of [...order].reverse()) if (needed.has(node.layer.name)) for (const input of node.inputs) needed.add(input);
  const nodes = order.filter((node) => needed.has(node.layer.name));
  nodes.sort((a, b) => Number(a.layer.name === output) - Number(b.layer.name === output));
  return validateSpec(
    {
      inputs: (spec.inputs ?? []).filter((input) => needed.has(input.name)),
      layers: nodes.map((node) => ({ ...node.layer, inputs: node.inputs })),
    },
    'the token encoder below the sequence pooling',
  );
}

function embeddingVocab(spec: ModelSpec): number {
  const embedding = spec.layers.find((layer) => layer.type === 'embedding');
  if (embedding?.type !== 'embedding') throw new HeadstartError('USAGE', 'pretrain-finetune: objective mlm needs an embedding layer');
  return embedding.vocabSize;
}

function format(loss: number | undefined): string {
  return loss === undefined ? '–' : loss.toPrecision(4);
}

/**
 * Pre-training for `objective=mlm`: the token encoder of `spec` (below its pooling) learns as a
 * masked-language model on `--unlabeled` text, else the training text without its labels, from
 * `--from`'s weights or fresh ones. A run resumed in `finetune` skips it (unless L2-SP needs the
 * pre-trained weights again). Returns the encoder's weights, and the last epoch's metrics when it trained.
 * @throws HeadstartError (USAGE) when the data is not token sequences.
 */
export async function maskedLmPretraining(
  ctx: StrategyContext,
  spec: ModelSpec,
  options: PretrainFinetuneOptions,
): Promise<{ weights: NamedTensors; metrics?: EpochMetrics }> {
  const data = ctx.data.unlabeled ?? ctx.data.train;
  if (!isTokenDataset(data))
    throw new HeadstartError(
      'USAGE',
      `pretrain-finetune: objective mlm pre-trains on text (token sequences), but ${data.source.file} holds numeric samples; use objective=autoencoder`,
    );
  const encoder = tokenEncoderOf(spec);
  const skip = resumedPhaseIndex(ctx, ['pretrain', 'finetune']);
  const start = startingEncoder(ctx, encoder, skip === 0 && ctx.resume !== undefined);
  if (skip === 1 && options.l2sp === 0) return { weights: start };
  return pretrainMaskedLm(ctx, encoder, start, data, options);
}
