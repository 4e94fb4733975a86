import { argmaxRows, sizeOf, type Dataset, type Model } from '@headstart/core';

/** Unlabelled samples chosen for pseudo-labels: their indices, the class given and its probability. */
export interface PseudoLabels {
  /** Indices into the unlabelled dataset, ascending. */
  indices: number[];
  /** Class index given to each, parallel to `indices`. */
  classes: number[];
  /** Top-class probability of each, parallel to `indices`. */
  confidence: number[];
  /** How many were taken of each class. */
  perClass: number[];
}

/** Samples predicted per `predict` call: big enough to be quick, small enough to stay cheap in memory. */
const PREDICT_BATCH = 512;

/** Class probabilities of every sample of `data`, `size × classes`. */
export async function predictAll(model: Model, data: Dataset, classes: number): Promise<Float32Array> {
  const width = sizeOf(data.sampleShape);
  const out = new Float32Array(data.size * classes);
  for (let start = 0; start < data.size; start += PREDICT_BATCH) {
    const n = Math.min(PREDICT_BATCH, data.size - start);
    out.set(await model.predict(data.features.subarray(start * width, (start + n) * width), n), start * classes);
  }
  return out;
}

/** How {@link selectPseudoLabels} chooses. */
export interface PseudoLabelChoice {
  /** At most this many samples of each predicted class, the most confident first. */
  perClass: number;
  /** Least top-class probability a sample needs. */
  threshold: number;
}

/**
 * For each class, the samples predicted as it with the highest probabilities: at most
 * `perClass`, each at or above `threshold`. Ties keep the earlier sample, so the choice is
 * deterministic. The result is in sample order.
 */
export function selectPseudoLabels(probabilities: Float32Array, classes: number, choice: PseudoLabelChoice): PseudoLabels {
  const predicted = argmaxRows(probabilities, classes);
  const byClass: { index: number; p: number }[][] = Array.from({ length: classes }, () => []);
  predicted.forEach((c, index) => {
    const p = probabilities[index * classes + c]!;
    if (p >= choice.threshold) byClass[c]!.push({ index, p });
  });
  const kept = byClass.map((list) => list.sort((a, b) => b.p - a.p || a.index - b.index).slice(0, choice.perClass));
  const picks = kept.flatMap((list, c) => list.map((pick) => ({ ...pick, c }))).sort((a, b) => a.index - b.index);
  return {
    indices: picks.map((pick) => pick.index),
    classes: picks.map((pick) => pick.c),
    confidence: picks.map((pick) => pick.p),
    perClass: kept.map((list) => list.length),
  };
}

/** The labelled training data followed by the pseudo-labelled samples, one dataset. */
export function withPseudoLabels(train: Dataset, unlabeled: Dataset, pseudo: PseudoLabels): Dataset {
  const width = sizeOf(train.sampleShape);
  const size = train.size + pseudo.indices.length;
  const features = new Float32Array(size * width);
  features.set(train.features.subarray(0, train.size * width));
  const labels = new Int32Array(size);
  labels.set(train.labels!.subarray(0, train.size));
  pseudo.indices.forEach((index, i) => {
    features.set(unlabeled.features.subarray(index * width, (index + 1) * width), (train.size + i) * width);
    labels[train.size + i] = pseudo.classes[i]!;
  });
  return { ...train, size, features, labels };
}
