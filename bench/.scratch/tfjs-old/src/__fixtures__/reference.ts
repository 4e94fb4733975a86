import { asPair, inferShapes, sizeOf, type Activation, type Layer, type ModelSpec, type NamedTensors } from '@headstart/core';

/**
 * A plain-JS inference forward pass (no tfjs), written for clarity, to check the tfjs ops against:
 * channels-last, canonical layouts, TensorFlow's `same` padding.
 */
export function referenceForward(spec: ModelSpec, weights: NamedTensors, x: Float32Array, size: number): Float32Array {
  const shapes = inferShapes(spec);
  const perIn = sizeOf(spec.inputShape);
  const samples: Float64Array[] = [];
  for (let n = 0; n < size; n++) {
    let values: Float64Array = Float64Array.from(x.subarray(n * perIn, (n + 1) * perIn));
    for (const { layer, inputShape } of shapes) values = applyLayer(layer, inputShape, values, weights);
    samples.push(values);
  }
  const out = new Float32Array(samples.reduce((total, s) => total + s.length, 0));
  let offset = 0;
  for (const s of samples) {
    out.set(s, offset);
    offset += s.length;
  }
  return out;
}

function param(weights: NamedTensors, name: string): Float32Array {
  const tensor = weights.get(name);
  if (!tensor) throw new Error(`missing ${name}`);
  return tensor.data;
}

function applyLayer(layer: Layer, shape: number[], x: Float64Array, w: NamedTensors): Float64Array {
  switch (layer.type) {
    case 'dense': {
      const kernel = param(w, `${layer.name}.kernel`);
      const out = new Float64Array(layer.units);
      for (let j = 0; j < layer.units; j++) {
        let sum = layer.useBias ? param(w, `${layer.name}.bias`)[j]! : 0;
        for (let i = 0; i < x.length; i++) sum += x[i]! * kernel[i * layer.units + j]!;
        out[j] = sum;
      }
      return activate(layer.activation, out, layer.units);
    }
    case 'conv2d':
      return activate(layer.activation, conv(layer, shape, x, w), layer.filters);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool(layer, shape, x);
    case 'globalAvgPool2d': {
      const [h, wd, c] = shape as [number, number, number];
      const out = new Float64Array(c);
      for (let p = 0; p < h * wd; p++) for (let k = 0; k < c; k++) out[k]! += x[p * c + k]! / (h * wd);
      return out;
    }
    case 'flatten':
    case 'dropout':
      return x;
    case 'batchNorm': {
      const [gamma, beta, mean, variance] = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((p) => param(w, `${layer.name}.${p}`));
      const c = shape[shape.length - 1]!;
      return x.map((v, i) => gamma![i % c]! * (v - mean![i % c]!) / Math.sqrt(variance![i % c]! + layer.epsilon) + beta![i % c]!);
    }
    case 'activation':
      return activate(layer.activation, x, shape[shape.length - 1]!);
    case 'onnx':
      throw new Error('the reference cannot run an opaque ONNX block');
  }
}

/** TensorFlow's padding before the first row/column: the smaller half of the total. */
function padBefore(size: number, window: number, stride: number, padding: 'valid' | 'same'): { out: number; pad: number } {
  if (padding === 'valid') return { out: Math.floor((size - window) / stride) + 1, pad: 0 };
  const out = Math.ceil(size / stride);
  return { out, pad: Math.floor(Math.max((out - 1) * stride + window - size, 0) / 2) };
}

function conv(layer: Extract<Layer, { type: 'conv2d' }>, shape: number[], x: Float64Array, w: NamedTensors): Float64Array {
  const [h, wd, c] = shape as [number, number, number];
  const [kh, kw] = asPair(layer.kernelSize);
  const [sh, sw] = asPair(layer.strides);
  const rows = padBefore(h, kh, sh, layer.padding);
  const cols = padBefore(wd, kw, sw, layer.padding);
  const kernel = param(w, `${layer.name}.kernel`);
  const bias = layer.useBias ? param(w, `${layer.name}.bias`) : undefined;
  const f = layer.filters;
  const out = new Float64Array(rows.out * cols.out * f);
  for (let i = 0; i < rows.out; i++) for (let j = 0; j < cols.out; j++) for (let o = 0; o < f; o++) {
    let sum = bias ? bias[o]! : 0;
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      const y = i * sh + a - rows.pad;
      const z = j * sw + b - cols.pad;
      if (y < 0 || y >= h || z < 0 || z >= wd) continue;
      for (let k = 0; k < c; k++) sum += x[(y * wd + z) * c + k]! * kernel[((a * kw + b) * c + k) * f + o]!;
    }
    out[(i * cols.out + j) * f + o] = sum;
  }
  return out;
}

function pool(layer: Extract<Layer, { type: 'maxPool2d' | 'avgPool2d' }>, shape: number[], x: Float64Array): Float64Array {
  const [h, wd, c] = shape as [number, number, number];
  const [ph, pw] = asPair(layer.poolSize);
  const [sh, sw] = asPair(layer.strides ?? layer.poolSize);
  const rows = padBefore(h, ph, sh, layer.padding);
  const cols = padBefore(wd, pw, sw, layer.padding);
  const out = new Float64Array(rows.out * cols.out * c);
  for (let i = 0; i < rows.out; i++) for (let j = 0; j < cols.out; j++) for (let k = 0; k < c; k++) {
    const seen: number[] = [];
    for (let a = 0; a < ph; a++) for (let b = 0; b < pw; b++) {
      const y = i * sh + a - rows.pad;
      const z = j * sw + b - cols.pad;
      if (y >= 0 && y < h && z >= 0 && z < wd) seen.push(x[(y * wd + z) * c + k]!);
    }
    out[(i * cols.out + j) * c + k] = layer.type === 'maxPool2d' ? Math.max(...seen) : seen.reduce((s, v) => s + v, 0) / seen.length;
  }
  return out;
}

function activate(kind: Activation, x: Float64Array, lastAxis: number): Float64Array {
  const f: Record<Exclude<Activation, 'softmax'>, (v: number) => number> = {
    linear: (v) => v,
    relu: (v) => Math.max(0, v),
    leakyRelu: (v) => (v > 0 ? v : 0.01 * v),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh,
    gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  };
  if (kind !== 'softmax') return x.map(f[kind]);
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += lastAxis) {
    const row = x.subarray(start, start + lastAxis);
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const total = exps.reduce((s, v) => s + v, 0);
    out.set(exps.map((v) => v / total), start);
  }
  return out;
}

/** erf to about 1e-7 (Abramowitz & Stegun 7.1.26). */
function erf(v: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(v));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(v) * (1 - poly * Math.exp(-v * v));
}
