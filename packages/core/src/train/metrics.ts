import { classProbabilities, classProbabilitiesOf, type Predictor } from './class-probabilities.js';
import type { Dataset, Label } from '../data/dataset.js';
import { isTokenDataset, type TokenDataset } from '../data/token-dataset.js';
import type { TrainingData } from '../data/training-data.js';

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

/** Samples with their class indices, as {@link evaluateClassifierStream} takes them: a {@link Dataset} is one. */
export interface LabelledChunk {
  size: number;
  /** `size × features`, sample after sample. */
  features: Float32Array;
  /** Class index of each sample into the evaluation's labels. */
  labels?: Int32Array | undefined;
}

/**
 * Evaluate a classifier on labelled data: cross-entropy from its class probabilities (its outputs,
 * through a softmax when they are logits; clamped at 1e-7 like Keras), accuracy, per-class
 * recall/precision and the confusion matrix.
 */
export async function evaluateClassifier(model: Predictor, data: TrainingData, labels: Label[], batchSize = 512): Promise<Evaluation> {
  if (!data.labels) throw new TypeError('evaluateClassifier needs labelled data');
  if (!isTokenDataset(data)) return evaluateClassifierStream(model, batches(data, batchSize), labels);
  const accumulator = new EvaluationAccumulator(labels);
  for (let start = 0; start < data.size; start += batchSize) {
    const count = Math.min(batchSize, data.size - start);
    accumulator.add(await classProbabilitiesOf(model, data, start, count, labels.length), data.labels.subarray(start, start + count));
  }
  return accumulator.result();
}

/**
 * {@link evaluateClassifier} over chunks of samples as they come (a file streamed in chunks),
 * so only one chunk need be in memory. The result does not depend on how the samples are chunked.
 */
export async function evaluateClassifierStream(
  model: Predictor,
  chunks: AsyncIterable<LabelledChunk | TokenDataset> | Iterable<LabelledChunk | TokenDataset>,
  labels: Label[],
): Promise<Evaluation> {
  const accumulator = new EvaluationAccumulator(labels);
  for await (const chunk of chunks) {
    if (!chunk.labels) throw new TypeError('evaluateClassifier needs labelled data');
    const probabilities = isTokenDataset(chunk)
      ? await classProbabilitiesOf(model, chunk, 0, chunk.size, labels.length)
      : await classProbabilities(model, chunk.features, chunk.size, labels.length);
    accumulator.add(probabilities, chunk.labels);
  }
  return accumulator.result();
}

/**
 * The running figures of an evaluation: the loss sum and the confusion matrix, added to a batch
 * at a time; {@link result} turns them into an {@link Evaluation}.
 */
export class EvaluationAccumulator {
  private readonly confusion: number[][];
  private lossSum = 0;
  private samples = 0;

  /** `labels`: the original label of each class index, the model's outputs in that order. */
  constructor(private readonly labels: readonly Label[]) {
    this.confusion = labels.map(() => new Array<number>(labels.length).fill(0));
  }

  /**
   * Count a batch: the model's output `probabilities` (`truth.length × labels.length`, row after
   * row) and the true class index of each sample.
   */
  add(probabilities: Float32Array, truth: ArrayLike<number>): void {
    const k = this.labels.length;
    const predicted = argmaxRows(probabilities, k);
    for (let i = 0; i < truth.length; i++) {
      const actual = truth[i]!;
      this.lossSum -= Math.log(Math.max(probabilities[i * k + actual]!, 1e-7));
      this.confusion[actual]![predicted[i]!]! += 1;
    }
    this.samples += truth.length;
  }

  /** The evaluation of every sample added so far. */
  result(): Evaluation {
    return summarize(
      this.confusion.map((row) => [...row]),
      [...this.labels],
      this.lossSum,
      this.samples,
    );
  }
}

function* batches(data: Dataset, batchSize: number): Generator<LabelledChunk> {
  const width = data.features.length / Math.max(1, data.size);
  for (let start = 0; start < data.size; start += batchSize) {
    const end = Math.min(data.size, start + batchSize);
    yield { size: end - start, features: data.features.subarray(start * width, end * width), labels: data.labels!.subarray(start, end) };
  }
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
