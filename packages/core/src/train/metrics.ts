import type { Model } from '../backend.js';
import type { Dataset, Label } from '../data/dataset.js';

/** Per-class figures of an evaluation. */
export interface ClassMetrics {
  /** Samples of this class. */
  count: number;
  /** The fraction of this class predicted as itself. */
  recall: number;
  /** Of the samples predicted as this class, the fraction that were. */
  precision: number;
}

/** What `evaluate` reports. */
export interface Evaluation {
  /** Mean cross-entropy (or mean squared error for `mse`). */
  loss: number;
  accuracy: number;
  samples: number;
  /** Keyed by the original label. */
  perClass: Record<string, ClassMetrics>;
  /** `confusion[true][predicted]` counts, indices into `labels`. */
  confusion: number[][];
  labels: Label[];
}

/** Largest probability index of each row of a `rows × cols` buffer. */
export function argmaxRows(values: Float32Array, cols: number): Int32Array {
  const rows = values.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c]! > values[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Evaluate a classifier on labelled data: cross-entropy from its output probabilities (clamped
 * at 1e-7 like Keras), accuracy, per-class recall/precision and the confusion matrix.
 */
export async function evaluateClassifier(model: Model, data: Dataset, labels: Label[], batchSize = 512): Promise<Evaluation> {
  if (!data.labels) throw new TypeError('evaluateClassifier needs labelled data');
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const width = data.features.length / Math.max(1, data.size);
  let lossSum = 0;
  for (let start = 0; start < data.size; start += batchSize) {
    const n = Math.min(batchSize, data.size - start);
    const probs = await model.predict(data.features.subarray(start * width, (start + n) * width), n);
    const predicted = argmaxRows(probs, k);
    for (let i = 0; i < n; i++) {
      const truth = data.labels[start + i]!;
      lossSum -= Math.log(Math.max(probs[i * k + truth]!, 1e-7));
      confusion[truth]![predicted[i]!]! += 1;
    }
  }
  return summarize(confusion, labels, lossSum, data.size);
}

function summarize(confusion: number[][], labels: Label[], lossSum: number, samples: number): Evaluation {
  const perClass: Record<string, ClassMetrics> = {};
  let correct = 0;
  labels.forEach((label, c) => {
    const row = confusion[c]!;
    const count = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, r) => a + r[c]!, 0);
    correct += row[c]!;
    perClass[String(label)] = {
      count,
      recall: count ? row[c]! / count : 0,
      precision: predictedAs ? row[c]! / predictedAs : 0,
    };
  });
  return { loss: samples ? lossSum / samples : 0, accuracy: samples ? correct / samples : 0, samples, perClass, confusion, labels };
}
