import {
  composeTransforms,
  earlyStoppingFrom,
  optimizerFrom,
  scheduleFrom,
  type TrainingData,
  type FitPlan,
  type NamedTensors,
  type ParameterGroup,
  type StrategyContext,
  type TrainingOptions,
} from '@headstart/core';
import { lossOptionsFrom, mixupFrom, type ClassifierLossOptions } from './classifier-loss.js';

/** What differs between the phases of a strategy; the rest comes from the options. */
export interface PhaseSpec {
  phase: string;
  trainable: string[];
  /** Learning-rate groups; default one group at `options.lr`. */
  groups?: ParameterGroup[] | undefined;
  /** Batch-norm layers to keep in inference mode although some of their parameters train. */
  frozenBatchNorm?: string[] | undefined;
  /** Override the data (cached features, unlabelled data). */
  train?: TrainingData | undefined;
  val?: TrainingData | undefined;
  /** L2-SP towards these weights. */
  l2sp?: { weight: number; reference: NamedTensors } | undefined;
  loss?: FitPlan['trainer']['loss'] | undefined;
  target?: FitPlan['target'] | undefined;
  inputNoise?: FitPlan['inputNoise'] | undefined;
  /** Change each training batch (mixup and the like); runs after the data's `--augment`. */
  transform?: FitPlan['transform'] | undefined;
}

/** A FitPlan for one phase of a strategy, from its options and what the phase changes. */
export function phasePlan(ctx: StrategyContext, options: TrainingOptions & Partial<ClassifierLossOptions>, p: PhaseSpec): FitPlan {
  const train = p.train ?? ctx.data.train;
  const loss = p.loss ?? 'softmaxCrossEntropy';
  const lossOptions = loss === 'softmaxCrossEntropy' ? lossOptionsFrom(options, train) : undefined;
  const transform = composeTransforms(p.transform, loss === 'softmaxCrossEntropy' ? mixupFrom(options, train) : undefined);
  const val = p.val ?? (p.train ? undefined : ctx.data.val);
  const stepsPerEpoch = Math.ceil(train.size / options.batchSize);
  return {
    phase: p.phase,
    train,
    ...(val ? { val } : {}),
    epochs: options.epochs,
    batchSize: options.batchSize,
    trainer: {
      trainable: p.trainable,
      groups: p.groups ?? [{ name: 'all', params: p.trainable, lr: options.lr, weightDecay: options.weightDecay }],
      optimizer: optimizerFrom(options),
      loss,
      ...(lossOptions ? { lossOptions } : {}),
      seed: ctx.seed,
      ...(p.frozenBatchNorm ? { frozenBatchNorm: p.frozenBatchNorm } : {}),
      ...(p.l2sp && p.l2sp.weight > 0 ? { l2sp: p.l2sp } : {}),
    },
    schedule: scheduleFrom(options, stepsPerEpoch),
    earlyStopping: earlyStoppingFrom(options),
    ...(p.target ? { target: p.target } : {}),
    ...(p.inputNoise ? { inputNoise: p.inputNoise } : {}),
    ...(transform ? { transform } : {}),
  };
}
