import { describe, expect, it } from 'vitest';
import type { Model } from '../backend.js';
import { createRng } from '../rng.js';
import { validateSpec } from '../spec/model-spec.js';
import type { Dataset } from '../data/dataset.js';
import { EvaluationAccumulator, evaluateClassifier, evaluateClassifierStream } from './metrics.js';

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

describe('EvaluationAccumulator', () => {
  it('adds up loss and confusion batch by batch', () => {
    const accumulator = new EvaluationAccumulator(['cat', 'dog']);
    accumulator.add(new Float32Array([0.75, 0.25, 0.5, 0.5]), [0, 1]);
    accumulator.add(new Float32Array([0, 1]), Int32Array.from([0]));
    const result = accumulator.result();
    // Sample 2 ties and counts as "cat" (the first largest); sample 3's probability 0 is clamped at 1e-7.
    expect(result.confusion).toEqual([
      [1, 1],
      [1, 0],
    ]);
    expect(result.samples).toBe(3);
    expect(result.accuracy).toBeCloseTo(1 / 3, 12);
    expect(result.loss).toBeCloseTo(-(Math.log(0.75) + Math.log(0.5) + Math.log(1e-7)) / 3, 6);
    expect(result.perClass).toEqual({ cat: { count: 2, recall: 0.5, precision: 0.5 }, dog: { count: 1, recall: 0, precision: 0 } });
    expect(result.labels).toEqual(['cat', 'dog']);
  });

  it('hands out a result that later batches do not change', () => {
    const accumulator = new EvaluationAccumulator([0, 1]);
    accumulator.add(new Float32Array([1, 0]), [0]);
    const first = accumulator.result();
    accumulator.add(new Float32Array([1, 0]), [1]);
    expect(first.confusion).toEqual([
      [1, 0],
      [0, 0],
    ]);
    expect(accumulator.result().confusion).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('gives zeros, not NaN, for no samples', () => {
    expect(new EvaluationAccumulator([0]).result()).toMatchObject({ loss: 0, accuracy: 0, samples: 0 });
  });
});

/** `size` samples of 4 features around one of three class centres, with noise: some land nearer another centre. */
function blobs(size: number): Dataset {
  const rng = createRng(3);
  const features = new Float32Array(size * 4);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) features[i * 4 + j] = (j === i % 3 ? 12 : 0) + rng.next() * 16;
  }
  return { size, sampleShape: [4], features, labels, labelMap: ['a', 'b', 'c'], source: { file: 'blobs', format: 'test' } };
}

describe('evaluateClassifierStream', () => {
  it.each([1, 7, 100, 500])('equals the in-memory evaluation, in chunks of %i', async (chunkSize) => {
    const data = blobs(300);
    const model = centroidModel(data);
    const whole = await evaluateClassifier(model, data, data.labelMap!);
    const chunks = Array.from({ length: Math.ceil(data.size / chunkSize) }, (_, k) => {
      const start = k * chunkSize;
      const end = Math.min(data.size, start + chunkSize);
      return { size: end - start, features: data.features.slice(start * 4, end * 4), labels: data.labels!.slice(start, end) };
    });
    expect(await evaluateClassifierStream(model, chunks, data.labelMap!)).toEqual(whole);
    // Not a trivial evaluation: some mistakes, so the confusion matrix has to be added up right.
    expect(whole.accuracy).toBeGreaterThan(0.5);
    expect(whole.accuracy).toBeLessThan(1);
  });

  it('refuses chunks without labels', async () => {
    const chunk = { size: 1, features: new Float32Array([1]) };
    await expect(
      evaluateClassifierStream(
        centroidModel({
          size: 1,
          sampleShape: [1],
          features: new Float32Array([1]),
          labels: Int32Array.from([0]),
          labelMap: [0],
          source: { file: 'x', format: 'csv' },
        }),
        [chunk],
        [0],
      ),
    ).rejects.toThrow('evaluateClassifier needs labelled data');
  });
});
