/** How a forward pass runs. */
export interface PassMode {
  /** Training: dropout drops, and batch norm (unless frozen) uses the batch's statistics. */
  training: boolean;
  /** Batch-norm layers that normalise by their moving statistics even while training. */
  frozenBatchNorm?: ReadonlySet<string> | undefined;
  /** `mixSeeds(seed, step)` of this training step: dropout masks derive from it and the layer's index. */
  dropoutSeed?: number | undefined;
}

/** Gradients of the trained parameters, by parameter name, accumulated by `backward`. Frozen parameters have none. */
export type Gradients = ReadonlyMap<string, Float64Array>;

/**
 * One computation of a network: a spec layer, or the activation a dense or conv2d layer applies after
 * its sum (kept as an op of its own so the gradient of every activation lives in one place).
 *
 * Values are `n` samples row-major, channels-last, in float64. `forward` keeps what `backward` needs,
 * so a backward pass must follow the forward pass of the same batch.
 */
export interface LayerOp {
  /** Name of the spec layer this op belongs to. */
  readonly layer: string;
  /** Parameters it reads, `<layer>.<param>`; `backward` adds to their gradients when they are trained. */
  readonly parameters: readonly string[];
  forward(input: Float64Array, n: number, mode: PassMode): Float64Array;
  /**
   * Add this batch's gradients of the op's trained parameters to `gradients`, and return the gradient
   * of its input when `needInput` (otherwise `undefined`: the ops below train nothing).
   */
  backward(gradOutput: Float64Array, n: number, gradients: Gradients, needInput: boolean): Float64Array | undefined;
}
