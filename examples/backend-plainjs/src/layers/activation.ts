import type { Activation } from '@headstart/core';
import { erf } from './erf.js';
import type { LayerOp } from './layer-op.js';

/** Negative slope of `leakyRelu`: 0.01, as every headstart backend (and PyTorch) uses. */
export const LEAKY_RELU_SLOPE = 0.01;

const INV_SQRT2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * An element-wise activation (softmax: over each row of `channels` values, the last axis). Keeps its
 * input and output from the forward pass, since each derivative is cheapest from one of them.
 */
export class ActivationOp implements LayerOp {
  readonly parameters: string[] = [];
  private input: Float64Array = new Float64Array(0);
  private output: Float64Array = new Float64Array(0);

  constructor(
    readonly layer: string,
    private readonly kind: Exclude<Activation, 'linear'>,
    private readonly channels: number,
  ) {}

  forward(x: Float64Array, _n: number): Float64Array {
    this.input = x;
    this.output = this.kind === 'softmax' ? softmaxRows(x, this.channels) : applyActivation(this.kind, x);
    return this.output;
  }

  backward(d: Float64Array, _n: number, _gradients: unknown, needInput: boolean): Float64Array | undefined {
    if (!needInput) return undefined;
    const { input: x, output: y } = this;
    const dx = new Float64Array(d.length);
    switch (this.kind) {
      case 'relu':
        for (let i = 0; i < d.length; i++) dx[i] = x[i]! > 0 ? d[i]! : 0;
        break;
      case 'relu6':
        for (let i = 0; i < d.length; i++) dx[i] = x[i]! > 0 && x[i]! < 6 ? d[i]! : 0;
        break;
      case 'leakyRelu':
        for (let i = 0; i < d.length; i++) dx[i] = x[i]! > 0 ? d[i]! : LEAKY_RELU_SLOPE * d[i]!;
        break;
      case 'sigmoid':
        for (let i = 0; i < d.length; i++) dx[i] = d[i]! * y[i]! * (1 - y[i]!);
        break;
      case 'tanh':
        for (let i = 0; i < d.length; i++) dx[i] = d[i]! * (1 - y[i]! * y[i]!);
        break;
      case 'gelu':
        // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
        for (let i = 0; i < d.length; i++) {
          const v = x[i]!;
          dx[i] = d[i]! * (0.5 * (1 + erf(v * INV_SQRT2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
        }
        break;
      case 'softmax':
        // dx = y ⊙ (d − Σ d·y), row by row
        for (let start = 0; start < d.length; start += this.channels) {
          let dot = 0;
          for (let i = start; i < start + this.channels; i++) dot += d[i]! * y[i]!;
          for (let i = start; i < start + this.channels; i++) dx[i] = y[i]! * (d[i]! - dot);
        }
        break;
    }
    return dx;
  }
}

/** An element-wise activation of every value of `x`, into a new array. */
function applyActivation(kind: Exclude<Activation, 'linear' | 'softmax'>, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  switch (kind) {
    case 'relu':
      // biome-ignore lint/complexity/useMathMinMax: NaN maps to 0 here, as the other backends' ReLU does; Math.max would keep it
      for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
      break;
    case 'relu6':
      // biome-ignore lint/complexity/useMathMinMax: NaN maps to 0 here, as the other backends' ReLU6 does; Math.max would keep it
      for (let i = 0; i < x.length; i++) y[i] = x[i]! > 6 ? 6 : x[i]! > 0 ? x[i]! : 0;
      break;
    case 'leakyRelu':
      for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : LEAKY_RELU_SLOPE * x[i]!;
      break;
    case 'sigmoid':
      for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      break;
    case 'tanh':
      for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
      break;
    case 'gelu':
      // x·Φ(x), with the exact normal CDF Φ
      for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i]! * (1 + erf(x[i]! * INV_SQRT2));
      break;
  }
  return y;
}

/** Softmax over consecutive rows of `channels` values, shifted by each row's maximum for stability. */
export function softmaxRows(x: Float64Array, channels: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += channels) {
    let max = -Infinity;
    for (let i = start; i < start + channels; i++) if (x[i]! > max) max = x[i]!;
    let total = 0;
    for (let i = start; i < start + channels; i++) total += out[i] = Math.exp(x[i]! - max);
    for (let i = start; i < start + channels; i++) out[i]! /= total;
  }
  return out;
}
