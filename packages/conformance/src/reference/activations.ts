import type { Activation } from '@headstart/core';

/**
 * Negative slope of `leakyRelu`: 0.01 (PyTorch's default). Every backend must agree on it for a
 * checkpoint to mean the same thing everywhere.
 */
export const LEAKY_RELU_SLOPE = 0.01;

/** Apply an activation in float64; `softmax` runs over rows of `channels` values. Returns a new array. */
export function activate(kind: Activation, x: Float64Array, channels: number): Float64Array {
  switch (kind) {
    case 'linear':
      return x.slice();
    case 'relu':
      // biome-ignore lint/complexity/useMathMinMax: NaN maps to 0 here; Math.max would keep it
      return x.map((v) => (v > 0 ? v : 0));
    case 'relu6':
      // biome-ignore lint/complexity/useMathMinMax: NaN maps to 0 here; Math.max would keep it
      return x.map((v) => (v > 6 ? 6 : v > 0 ? v : 0));
    case 'leakyRelu':
      return x.map((v) => (v > 0 ? v : LEAKY_RELU_SLOPE * v));
    case 'sigmoid':
      return x.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return x.map(Math.tanh);
    case 'gelu':
      return x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    case 'softmax':
      return softmaxRows(x, channels);
  }
}

/** Softmax over consecutive rows of `channels` values, shifted by the row maximum for stability. */
export function softmaxRows(x: Float64Array, channels: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += channels) {
    let max = -Infinity;
    for (let i = start; i < start + channels; i++) max = Math.max(max, x[i]!);
    let total = 0;
    for (let i = start; i < start + channels; i++) total += out[i] = Math.exp(x[i]! - max);
    for (let i = start; i < start + channels; i++) out[i]! /= total;
  }
  return out;
}

/**
 * erf to double precision: its Taylor series for |x| < 2.5, the continued fraction of erfc beyond.
 * (The usual 1e-7 approximations are too coarse for finite differences.)
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let k = 1; k < 100; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = ax;
  for (let k = 60; k >= 1; k--) fraction = ax + k / 2 / fraction;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction);
}
