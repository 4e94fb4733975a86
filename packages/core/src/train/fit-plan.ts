import type { Model, TrainerOptions } from '../backend.js';
import type { TrainingData } from '../data/training-data.js';
import type { BatchTransform } from './batch-transform.js';
import type { EpochMetrics } from './events.js';
import type { LrSchedule } from './schedules.js';
import type { Teacher } from './teacher.js';

/** Early stopping, as in Keras's `EarlyStopping` callback. */
export interface EarlyStopping {
  /** Metric to watch. Default `valLoss` (falls back to `loss` without validation data). */
  monitor?: 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy' | undefined;
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as improvement. Default 0. */
  minDelta?: number | undefined;
  /** Put back the best epoch's weights when stopping. Default true. */
  restoreBest?: boolean | undefined;
}

/** One phase of training, as a strategy asks for it through `ctx.fit`. */
export interface FitPlan {
  /** Name of the phase, unique within the strategy (`train`, `probe`, `finetune`); keys resume state. */
  phase: string;
  /** Samples to train on: features, or token sequences (batched as the named inputs `input_ids` and `attention_mask`). */
  train: TrainingData;
  /** Validation samples, evaluated after each epoch. */
  val?: TrainingData | undefined;
  epochs: number;
  batchSize: number;
  /** What to train and how: trainable parameters, groups, optimizer, loss. */
  trainer: TrainerOptions;
  /** Learning-rate schedule over the whole phase. Default constant. */
  schedule?: LrSchedule | undefined;
  earlyStopping?: EarlyStopping | undefined;
  /**
   * What the model should output: the class (`labels`, default) or its own input (`inputs`, an
   * autoencoder). Masked-language modelling trains with `trainer.loss: 'tokenCrossEntropy'` on the
   * batch's `tokenLabels`, which its `transform` (core's `maskingTransform`) writes from the ids; its
   * batches need no class labels.
   */
  target?: 'labels' | 'inputs' | undefined;
  /**
   * Corrupt each training batch's inputs (not its targets): a denoising autoencoder's noise.
   * `mask` zeroes each value with probability `amount`; `gaussian` adds noise of std `amount`.
   * Drawn from a seed per step, so a resumed run corrupts exactly as the uninterrupted one.
   */
  inputNoise?: { type: 'mask' | 'gaussian'; amount: number } | undefined;
  /**
   * Change each training batch (inputs and targets) before it reaches the backend: mixup, CutMix,
   * a strategy's own augmentation. Seeded per batch from the run's seed, the phase, the epoch and the
   * batch's index, so exact on resume. Runs after the data's augmentation (`--augment`) and before
   * `inputNoise`; validation batches never pass through it.
   */
  transform?: BatchTransform | undefined;
  /**
   * Distil from this teacher: every training batch gets the teacher's logits of its inputs (after
   * `transform` and `inputNoise`, so the teacher sees what the student trains on) as `batch.teacher`,
   * for the distillation loss that `trainer.lossOptions.distillation` must then set. One teacher
   * forward a batch, or one pass over `train` when the batches are its rows unchanged; the teacher
   * must be deterministic, so a resumed run ends bit-identical. `modelTeacher(model)` makes one of a
   * trained classifier. Its class count must be the model's.
   */
  teacher?: Teacher | undefined;
  /** Called after each epoch; a strategy may change the plan for the next epochs (e.g. unfreeze a layer group). */
  onEpochEnd?(epoch: number, metrics: EpochMetrics): void | Promise<void>;
}

/** What a phase of training reports. */
export interface FitResult {
  model: Model;
  /** Metrics of the final (or best, when restored) epoch. */
  metrics: EpochMetrics;
  /** Metrics of every epoch, for learning curves. */
  history: EpochMetrics[];
  epochs: number;
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
}
