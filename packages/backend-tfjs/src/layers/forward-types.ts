import type * as tf from '@tensorflow/tfjs';

/** Batch statistics of one training-mode batch-norm layer, for its moving-average update. */
export interface BatchStatistics {
  layer: string;
  /** Per-channel batch mean; kept out of tf.tidy, so whoever receives it disposes it. */
  mean: tf.Tensor;
  /** Per-channel biased batch variance (what `tf.moments` gives, as Keras uses); kept likewise. */
  variance: tf.Tensor;
}

/** How one forward pass runs. */
export interface ForwardMode {
  /** Training mode: dropout is active and unfrozen batch-norm layers use batch statistics. */
  training: boolean;
  /** Batch-norm layers that stay in inference mode while training. */
  frozenBatchNorm?: ReadonlySet<string> | undefined;
  /** Seed of this pass's dropout masks (training only). Default 0. */
  dropoutSeed?: number | undefined;
  /** Stop before the model's final softmax and return logits. */
  logits?: boolean | undefined;
  /** Receives the statistics of each training-mode batch-norm layer. */
  onBatchStatistics?: ((statistics: BatchStatistics) => void) | undefined;
}

/** One layer's computation on a batch (the batch is the leading axis). */
export type LayerForward = (x: tf.Tensor, mode: ForwardMode) => tf.Tensor;

/** A merge layer's computation on the batches of its inputs, in the order the spec lists them. */
export type MergeForward = (xs: tf.Tensor[]) => tf.Tensor;
