import { evaluateClassifier, evaluateClassifierStream, validateSpec, type Dataset, type Model } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { DIGITS_CSV } from './__fixtures__/temp-dir.js';
import { loadDataset, streamChunks } from './load-dataset.js';
import { registerLoaders } from './register-loaders.js';

registerLoaders();

/**
 * A nearest-class-mean classifier of the digits: softmax of minus the squared distance to each
 * class's mean. Right often, not always, and never fully sure: a non-trivial loss and confusion.
 */
function centroidModel(data: Dataset): Pick<Model, 'predict' | 'spec'> {
  const width = data.features.length / data.size;
  const k = data.labelMap!.length;
  const means = new Float64Array(k * width);
  const counts = new Float64Array(k);
  for (let i = 0; i < data.size; i++) {
    const c = data.labels![i]!;
    counts[c]!++;
    for (let j = 0; j < width; j++) means[c * width + j]! += data.features[i * width + j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < width; j++) means[c * width + j]! /= counts[c]!;
  return {
    // Its outputs are probabilities already, as a model ending in a softmax gives.
    spec: validateSpec({ inputShape: [width], layers: [{ type: 'dense', name: 'centroids', units: k, activation: 'softmax' }] }),
    async predict(x, size) {
      const out = new Float32Array(size * k);
      for (let i = 0; i < size; i++) {
        const scores = Array.from({ length: k }, (_, c) => {
          let d = 0;
          for (let j = 0; j < width; j++) d += (x[i * width + j]! - means[c * width + j]!) ** 2;
          return -d / 400;
        });
        const top = Math.max(...scores);
        const sum = scores.reduce((a, s) => a + Math.exp(s - top), 0);
        scores.forEach((s, c) => (out[i * k + c] = Math.exp(s - top) / sum));
      }
      return out;
    },
  };
}

describe('evaluating a file streamed in chunks', () => {
  it.each([1, 100, 1024, 5000])('equals the in-memory evaluation of the digits, in chunks of %i', async (chunkSize) => {
    const digits = await loadDataset(DIGITS_CSV);
    const model = centroidModel(digits);
    const labels = digits.labelMap!;
    const whole = await evaluateClassifier(model, digits, labels);
    // Labels streamed from the CSV are its cells' text ("3"); the label map makes them class indices.
    const streamed = await evaluateClassifierStream(model, streamChunks(DIGITS_CSV, { labelMap: labels, chunkSize }), labels);
    expect(streamed).toEqual(whole);
    // Not a trivial evaluation: some mistakes, so the confusion matrix has to be added up right.
    expect(whole.samples).toBe(1797);
    expect(whole.accuracy).toBeGreaterThan(0.8);
    expect(whole.accuracy).toBeLessThan(1);
    expect(whole.loss).toBeGreaterThan(0.01);
  });
});
