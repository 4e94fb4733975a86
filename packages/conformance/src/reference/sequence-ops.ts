import type { AttentionLayer, AttentionProjection, EmbeddingLayer, SequencePoolLayer } from '@headstart/core';
import { softmaxRows } from './activations.js';

/** What a padded key's score gets added (the backends use the same constant). */
export const MASKED_SCORE = -1e9;

/** Token ids (`n × T`) → `n × T × D` rows of `table`; a token equal to `paddingIndex` embeds to zeros. */
export function embedding(layer: EmbeddingLayer, ids: Float64Array, table: Float64Array): Float64Array {
  const width = layer.units;
  const out = new Float64Array(ids.length * width);
  ids.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= layer.vocabSize)
      throw new Error(`float64 reference: layer "${layer.name}": token id ${id} outside [0, ${layer.vocabSize})`);
    if (id !== layer.paddingIndex) out.set(table.subarray(id * width, (id + 1) * width), t * width);
  });
  return out;
}

/** `x` (`n × T × D`) plus the first `T` rows of `table`. */
export function addPositions(x: Float64Array, table: Float64Array, tokens: number, width: number): Float64Array {
  return x.map((v, i) => v + table[i % (tokens * width)]!);
}

/** Normalisation of every row of `width` values: `gamma·(x − mean)/√(var + ε) + beta` (biased variance). */
export function layerNorm(x: Float64Array, width: number, gamma: Float64Array, beta: Float64Array, epsilon: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += width) {
    const row = x.subarray(start, start + width);
    const mean = row.reduce((a, v) => a + v, 0) / width;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / width;
    const scale = 1 / Math.sqrt(variance + epsilon);
    for (let k = 0; k < width; k++) out[start + k] = gamma[k]! * (row[k]! - mean) * scale + beta[k]!;
  }
  return out;
}

/** `x·kernel + bias` on every row of `kernel.length / units` values. */
export function affine(x: Float64Array, kernel: Float64Array, bias: Float64Array | undefined, units: number): Float64Array {
  const features = kernel.length / units;
  const rows = x.length / features;
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < units; o++) {
      let sum = bias ? bias[o]! : 0;
      for (let i = 0; i < features; i++) sum += x[r * features + i]! * kernel[i * units + o]!;
      out[r * units + o] = sum;
    }
  return out;
}

/**
 * Multi-head self-attention on `n × T × D` (DistilBERT's): per head `h`, `softmax(q·kᵀ/√(D/H) +
 * maskBias)·v` over its `D/H` dims, then the output projection. `param(p)` gives `qKernel`, `qBias`, …;
 * a projection with a LoRA adapter adds `(alpha/rank)·(x·pLoraA)·pLoraB`.
 */
export function attention(
  layer: AttentionLayer,
  x: Float64Array,
  mask: ArrayLike<number> | undefined,
  tokens: number,
  width: number,
  param: (p: string) => Float64Array,
): Float64Array {
  const project = (p: AttentionProjection, from: Float64Array): Float64Array => {
    const y = affine(from, param(`${p}Kernel`), param(`${p}Bias`), width);
    const lora = layer.lora;
    if (!lora?.projections.includes(p)) return y;
    const low = affine(affine(from, param(`${p}LoraA`), undefined, lora.rank), param(`${p}LoraB`), undefined, width);
    return y.map((value, i) => value + (lora.alpha / lora.rank) * low[i]!);
  };
  const [q, k, v] = (['q', 'k', 'v'] as const).map((p) => project(p, x)) as [Float64Array, Float64Array, Float64Array];
  const depth = width / layer.heads;
  const n = x.length / (tokens * width);
  const joined = new Float64Array(x.length);
  const scores = new Float64Array(tokens);
  for (let s = 0; s < n; s++)
    for (let h = 0; h < layer.heads; h++)
      for (let i = 0; i < tokens; i++) {
        const at = (t: number, d: number): number => (s * tokens + t) * width + h * depth + d;
        for (let j = 0; j < tokens; j++) {
          let dot = 0;
          for (let d = 0; d < depth; d++) dot += q[at(i, d)]! * k[at(j, d)]!;
          scores[j] = dot / Math.sqrt(depth) + (mask && mask[s * tokens + j] === 0 ? MASKED_SCORE : 0);
        }
        const weights = softmaxRows(scores, tokens);
        for (let d = 0; d < depth; d++) {
          let sum = 0;
          for (let j = 0; j < tokens; j++) sum += weights[j]! * v[at(j, d)]!;
          joined[at(i, d)] = sum;
        }
      }
  return project('out', joined);
}

/** `n × T × D` → `n × D`: the first token, or the mean of the tokens the mask marks (all without one; at least one counted). */
export function sequencePool(
  layer: SequencePoolLayer,
  x: Float64Array,
  mask: ArrayLike<number> | undefined,
  tokens: number,
  width: number,
): Float64Array {
  const n = x.length / (tokens * width);
  const out = new Float64Array(n * width);
  for (let s = 0; s < n; s++) {
    const weight = (t: number): number => (layer.mode === 'first' ? Number(t === 0) : mask ? mask[s * tokens + t]! : 1);
    let count = 0;
    for (let t = 0; t < tokens; t++) count += weight(t);
    for (let t = 0; t < tokens; t++)
      for (let d = 0; d < width; d++) out[s * width + d]! += (weight(t) * x[(s * tokens + t) * width + d]!) / Math.max(count, 1);
  }
  return out;
}
