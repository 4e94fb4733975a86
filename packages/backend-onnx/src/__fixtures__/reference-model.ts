/**
 * An independent float64 reference of a ModelSpec's forward pass and losses, in plain JS over the
 * canonical channels-last layout. Tests compare the ONNX graphs against it and take central finite
 * differences of it.
 */
import { asPair, type Layer, type ModelSpec } from '@headstart/core';

/** Weights as float64 arrays by parameter name. */
export type RefWeights = Map<string, Float64Array>;

/** How a reference pass runs. */
export interface RefMode {
  training: boolean;
  frozenBatchNorm?: Set<string>;
  /** Dropout masks by layer name (training only). */
  masks?: Map<string, Float64Array>;
}

/** A reference forward result: the output before a final softmax, and batch statistics. */
export interface RefForward {
  logits: Float64Array;
  endsInSoftmax: boolean;
  statistics: Map<string, { mean: Float64Array; variance: Float64Array }>;
}

interface Value {
  data: Float64Array;
  shape: number[];
}

/** Run the spec on `n` samples. */
export function refForward(spec: ModelSpec, w: RefWeights, x: Float64Array, n: number, mode: RefMode): RefForward {
  let v: Value = { data: x, shape: [n, ...spec.inputShape] };
  let endsInSoftmax = false;
  const statistics: RefForward['statistics'] = new Map();
  spec.layers.forEach((layer, i) => {
    const last = i === spec.layers.length - 1;
    const activation = 'activation' in layer ? layer.activation : 'linear';
    const skipSoftmax = last && activation === 'softmax';
    if (skipSoftmax) endsInSoftmax = true;
    v = refLayer(layer, v, w, mode, statistics, skipSoftmax);
  });
  return { logits: v.data, endsInSoftmax, statistics };
}

function refLayer(layer: Layer, v: Value, w: RefWeights, mode: RefMode, stats: RefForward['statistics'], skipSoftmax: boolean): Value {
  const p = (name: string): Float64Array => w.get(`${layer.name}.${name}`)!;
  const act = (out: Value, kind: string): Value => (skipSoftmax && kind === 'softmax' ? out : { data: activate(kind, out.data, out.shape[out.shape.length - 1]!), shape: out.shape });
  switch (layer.type) {
    case 'dense':
      return act(dense(v, p('kernel'), layer.useBias ? p('bias') : undefined, layer.units), layer.activation);
    case 'conv2d':
      return act(conv(v, p('kernel'), layer.useBias ? p('bias') : undefined, layer), layer.activation);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool(v, layer.type === 'maxPool2d', asPair(layer.poolSize), asPair(layer.strides ?? layer.poolSize), layer.padding);
    case 'globalAvgPool2d':
      return globalAvg(v);
    case 'flatten':
      return { data: v.data, shape: [v.shape[0]!, v.data.length / v.shape[0]!] };
    case 'batchNorm':
      return batchNorm(v, layer.name, layer.epsilon, w, mode, stats);
    case 'dropout': {
      const mask = mode.training ? mode.masks?.get(layer.name) : undefined;
      return mask ? { data: v.data.map((d, i) => d * mask[i]!), shape: v.shape } : v;
    }
    case 'activation':
      return act(v, layer.activation);
    case 'onnx':
      throw new Error('the reference cannot run an opaque ONNX block');
  }
}

function dense(v: Value, kernel: Float64Array, bias: Float64Array | undefined, units: number): Value {
  const [n, inputs] = v.shape as [number, number];
  const out = new Float64Array(n * units);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < units; o++) {
      let sum = bias ? bias[o]! : 0;
      for (let i = 0; i < inputs; i++) sum += v.data[s * inputs + i]! * kernel[i * units + o]!;
      out[s * units + o] = sum;
    }
  return { data: out, shape: [n, units] };
}

/** Keras padding: `[before, output size]` along one axis. */
function axisGeometry(size: number, k: number, s: number, padding: 'valid' | 'same'): [number, number] {
  if (padding === 'valid') return [0, Math.floor((size - k) / s) + 1];
  const out = Math.ceil(size / s);
  return [Math.floor(Math.max((out - 1) * s + k - size, 0) / 2), out];
}

function conv(v: Value, kernel: Float64Array, bias: Float64Array | undefined, layer: Extract<Layer, { type: 'conv2d' }>): Value {
  const [n, h, wd, c] = v.shape as [number, number, number, number];
  const [kh, kw] = asPair(layer.kernelSize);
  const [sh, sw] = asPair(layer.strides);
  const f = layer.filters;
  const [pt, ho] = axisGeometry(h, kh, sh, layer.padding);
  const [pl, wo] = axisGeometry(wd, kw, sw, layer.padding);
  const out = new Float64Array(n * ho * wo * f);
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let o = 0; o < f; o++) {
          let sum = bias ? bias[o]! : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const [iy, ix] = [oy * sh + ky - pt, ox * sw + kx - pl];
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let ci = 0; ci < c; ci++) sum += v.data[((s * h + iy) * wd + ix) * c + ci]! * kernel[((ky * kw + kx) * c + ci) * f + o]!;
            }
          out[((s * ho + oy) * wo + ox) * f + o] = sum;
        }
  return { data: out, shape: [n, ho, wo, f] };
}

function pool(v: Value, max: boolean, [kh, kw]: [number, number], [sh, sw]: [number, number], padding: 'valid' | 'same'): Value {
  const [n, h, wd, c] = v.shape as [number, number, number, number];
  const [pt, ho] = axisGeometry(h, kh, sh, padding);
  const [pl, wo] = axisGeometry(wd, kw, sw, padding);
  const out = new Float64Array(n * ho * wo * c);
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ci = 0; ci < c; ci++) {
          let acc = max ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const [iy, ix] = [oy * sh + ky - pt, ox * sw + kx - pl];
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const value = v.data[((s * h + iy) * wd + ix) * c + ci]!;
              acc = max ? Math.max(acc, value) : acc + value;
              count++;
            }
          out[((s * ho + oy) * wo + ox) * c + ci] = max ? acc : acc / count;
        }
  return { data: out, shape: [n, ho, wo, c] };
}

function globalAvg(v: Value): Value {
  const [n, h, wd, c] = v.shape as [number, number, number, number];
  const out = new Float64Array(n * c);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < h * wd; i++) for (let ci = 0; ci < c; ci++) out[s * c + ci]! += v.data[(s * h * wd + i) * c + ci]! / (h * wd);
  return { data: out, shape: [n, c] };
}

function batchNorm(v: Value, name: string, epsilon: number, w: RefWeights, mode: RefMode, stats: RefForward['statistics']): Value {
  const c = v.shape[v.shape.length - 1]!;
  const rows = v.data.length / c;
  const get = (p: string): Float64Array => w.get(`${name}.${p}`)!;
  let mean = get('movingMean');
  let variance = get('movingVariance');
  if (mode.training && !mode.frozenBatchNorm?.has(name)) {
    mean = new Float64Array(c);
    variance = new Float64Array(c);
    for (let r = 0; r < rows; r++) for (let ci = 0; ci < c; ci++) mean[ci]! += v.data[r * c + ci]! / rows;
    for (let r = 0; r < rows; r++) for (let ci = 0; ci < c; ci++) variance[ci]! += (v.data[r * c + ci]! - mean[ci]!) ** 2 / rows;
    stats.set(name, { mean, variance });
  }
  const [gamma, beta] = [get('gamma'), get('beta')];
  const data = v.data.map((d, i) => {
    const ci = i % c;
    return ((d - mean[ci]!) / Math.sqrt(variance[ci]! + epsilon)) * gamma[ci]! + beta[ci]!;
  });
  return { data, shape: v.shape };
}

/** Element-wise activations; softmax over the last axis of `channels`. */
export function activate(kind: string, data: Float64Array, channels: number): Float64Array {
  switch (kind) {
    case 'linear':
      return data;
    case 'relu':
      return data.map((d) => Math.max(d, 0));
    case 'leakyRelu':
      return data.map((d) => (d > 0 ? d : 0.01 * d));
    case 'sigmoid':
      return data.map((d) => 1 / (1 + Math.exp(-d)));
    case 'tanh':
      return data.map(Math.tanh);
    case 'gelu':
      return data.map((d) => 0.5 * d * (1 + erf(d / Math.SQRT2)));
    case 'softmax':
      return softmaxRows(data, channels);
    default:
      throw new Error(`reference: no activation ${kind}`);
  }
}

function softmaxRows(data: Float64Array, channels: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < data.length / channels; r++) {
    const row = data.subarray(r * channels, (r + 1) * channels);
    const max = Math.max(...row);
    const exps = row.map((d) => Math.exp(d - max));
    const total = exps.reduce((a, b) => a + b, 0);
    out.set(exps.map((e) => e / total), r * channels);
  }
  return out;
}

/** erf to double precision (series for small |x|, continued fraction beyond), enough for finite differences. */
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
  // erfc continued fraction (Lentz), accurate for |x| ≥ 2.5.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Mean loss over the batch: cross-entropy from logits (one-hot targets) or mean squared error. */
export function refLoss(kind: 'softmaxCrossEntropy' | 'mse', logits: Float64Array, target: Float64Array, n: number): number {
  const d = logits.length / n;
  let total = 0;
  for (let s = 0; s < n; s++) {
    const row = logits.subarray(s * d, (s + 1) * d);
    const t = target.subarray(s * d, (s + 1) * d);
    if (kind === 'mse') {
      for (let i = 0; i < d; i++) total += (row[i]! - t[i]!) ** 2 / d;
    } else {
      const max = Math.max(...row);
      const logSum = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
      for (let i = 0; i < d; i++) total -= t[i]! * (row[i]! - logSum);
    }
  }
  return total / n;
}
