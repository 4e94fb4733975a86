import type { BatchNormLayer } from '@headstart/core';
import type { Gradients, LayerOp, PassMode } from './layer-op.js';

/** The parameters of a batch-norm layer, as the model stores them. */
export interface BatchNormParameters {
  gamma: Float32Array;
  beta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/**
 * `gamma · (x − mean)/√(variance + ε) + beta` over the last axis (every other axis, the batch
 * included, is a row). In training, unless frozen, mean and variance are the batch's (biased
 * variance) and the gradient flows through them too; otherwise they are the moving statistics.
 */
export class BatchNormOp implements LayerOp {
  readonly layer: string;
  readonly parameters: string[];
  private readonly epsilon: number;
  /** Normalised input and per-channel 1/√(variance + ε) of the last forward pass. */
  private normalized: Float64Array = new Float64Array(0);
  private inverseStd: Float64Array = new Float64Array(0);
  /** Whether the last forward pass used the batch's statistics, and those statistics. */
  private usedBatch = false;
  private batchMean: Float64Array = new Float64Array(0);
  private batchVariance: Float64Array = new Float64Array(0);

  constructor(
    spec: BatchNormLayer,
    private readonly channels: number,
    private readonly params: BatchNormParameters,
  ) {
    this.layer = spec.name;
    this.epsilon = spec.epsilon;
    this.parameters = [`${spec.name}.gamma`, `${spec.name}.beta`];
  }

  forward(x: Float64Array, _n: number, mode: PassMode): Float64Array {
    const { channels, params } = this;
    this.usedBatch = mode.training && !mode.frozenBatchNorm?.has(this.layer);
    let mean: ArrayLike<number> = params.movingMean;
    let variance: ArrayLike<number> = params.movingVariance;
    if (this.usedBatch) {
      ({ mean: this.batchMean, variance: this.batchVariance } = moments(x, channels));
      [mean, variance] = [this.batchMean, this.batchVariance];
    }
    this.inverseStd = Float64Array.from({ length: channels }, (_, c) => 1 / Math.sqrt(variance[c]! + this.epsilon));
    const normalized = (this.normalized = new Float64Array(x.length));
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const c = i % channels;
      normalized[i] = (x[i]! - mean[c]!) * this.inverseStd[c]!;
      out[i] = params.gamma[c]! * normalized[i]! + params.beta[c]!;
    }
    return out;
  }

  backward(d: Float64Array, _n: number, gradients: Gradients, needInput: boolean): Float64Array | undefined {
    const { channels, normalized, inverseStd } = this;
    const sumD = new Float64Array(channels);
    const sumDNormalized = new Float64Array(channels);
    for (let i = 0; i < d.length; i++) {
      sumD[i % channels]! += d[i]!;
      sumDNormalized[i % channels]! += d[i]! * normalized[i]!;
    }
    gradients.get(this.parameters[0]!)?.forEach((_, c, g) => (g[c]! += sumDNormalized[c]!));
    gradients.get(this.parameters[1]!)?.forEach((_, c, g) => (g[c]! += sumD[c]!));
    if (!needInput) return undefined;
    const gamma = this.params.gamma;
    const dx = new Float64Array(d.length);
    if (!this.usedBatch) {
      for (let i = 0; i < d.length; i++) dx[i] = d[i]! * gamma[i % channels]! * inverseStd[i % channels]!;
      return dx;
    }
    // Through the batch's mean and variance too: dx = γ/σ · (d − mean(d) − x̂ · mean(d·x̂)).
    const rows = d.length / channels;
    for (let i = 0; i < d.length; i++) {
      const c = i % channels;
      dx[i] = gamma[c]! * inverseStd[c]! * (d[i]! - sumD[c]! / rows - (normalized[i]! * sumDNormalized[c]!) / rows);
    }
    return dx;
  }

  /** Keras's moving averages, `moving · momentum + batch · (1 − momentum)`, from the last forward pass's batch statistics. */
  updateMovingStatistics(momentum: number): void {
    if (!this.usedBatch) return;
    const { movingMean, movingVariance } = this.params;
    for (let c = 0; c < this.channels; c++) {
      movingMean[c] = movingMean[c]! * momentum + this.batchMean[c]! * (1 - momentum);
      movingVariance[c] = movingVariance[c]! * momentum + this.batchVariance[c]! * (1 - momentum);
    }
  }
}

/** Per-channel mean and biased variance over every other axis. */
function moments(x: Float64Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const rows = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels]! += x[i]!;
  for (let c = 0; c < channels; c++) mean[c]! /= rows;
  for (let i = 0; i < x.length; i++) variance[i % channels]! += (x[i]! - mean[i % channels]!) ** 2;
  for (let c = 0; c < channels; c++) variance[c]! /= rows;
  return { mean, variance };
}
