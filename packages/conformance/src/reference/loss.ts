import { HeadstartError, type Batch, type LossKind, type LossOptions } from '@headstart/core';
import { IGNORE_TOKEN } from '@headstart/core/backend-kit';

/**
 * Loss of each sample in float64, without loss options: cross-entropy of the labels from the logits
 * before the final softmax (log-sum-exp shifted by the row maximum), or the mean squared error over
 * the sample's outputs.
 * @param outputs `n × outputs`: logits for `softmaxCrossEntropy`, outputs for `mse`.
 */
export function sampleLosses(kind: LossKind, outputs: Float64Array, batch: Batch): Float64Array {
  if (kind === 'tokenCrossEntropy') return tokenCrossEntropy(outputs, batch).samples;
  const n = batch.size;
  const width = outputs.length / n;
  const losses = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const row = outputs.subarray(s * width, (s + 1) * width);
    if (kind === 'mse') {
      const targets = batch.targets;
      if (!targets) throw new HeadstartError('BAD_INPUT', 'mse needs targets in the batch');
      for (let i = 0; i < width; i++) losses[s]! += (row[i]! - targets[s * width + i]!) ** 2 / width;
    } else {
      const label = batch.labels?.[s];
      if (label === undefined) throw new HeadstartError('BAD_INPUT', 'softmaxCrossEntropy needs labels in the batch');
      losses[s] = -logSoftmax(row)[label]!;
    }
  }
  return losses;
}

/**
 * The loss a step minimises (before regularisers), written out as PyTorch defines it so the
 * backends' shared target arithmetic is checked against an independent form: `CrossEntropyLoss`
 * with `weight`, `label_smoothing` and class-index or probability targets (weighted mean over class
 * indices), plus Hinton's distillation term `alpha·T²·KL(p_teacher ‖ p_student)` (batch mean).
 */
export function meanLoss(kind: LossKind, outputs: Float64Array, batch: Batch, options?: LossOptions): number {
  if (kind === 'tokenCrossEntropy') return tokenCrossEntropy(outputs, batch).mean;
  if (kind === 'mse' || (!options && !batch.targets)) return sampleLosses(kind, outputs, batch).reduce((a, b) => a + b, 0) / batch.size;
  const crossEntropy = crossEntropyMean(outputs, batch, options ?? {});
  const distillation = options?.distillation;
  if (!distillation) return crossEntropy;
  const { temperature: t, alpha } = distillation;
  return alpha * t * t * distillationKl(outputs, batch, t) + (1 - alpha) * crossEntropy;
}

/**
 * PyTorch's `cross_entropy(logits.view(-1, V), labels.view(-1), ignore_index=-100)` over token
 * logits `n × tokens × V` and `batch.tokenLabels`: the mean over the positions whose label is not
 * −100 (0 when there is none), and each sample's share of it times `n` (summing to `mean·n`, as
 * backends report an evaluation's summed loss).
 */
export function tokenCrossEntropy(logits: Float64Array, batch: Batch): { mean: number; samples: Float64Array } {
  const labels = batch.tokenLabels;
  if (!labels) throw new HeadstartError('BAD_INPUT', 'tokenCrossEntropy needs token labels in the batch');
  const n = batch.size;
  const tokens = labels.length / n;
  const vocab = logits.length / labels.length;
  const sums = new Float64Array(n);
  let counted = 0;
  labels.forEach((label, i) => {
    if (label === IGNORE_TOKEN) return;
    sums[Math.floor(i / tokens)]! -= logSoftmax(logits.subarray(i * vocab, (i + 1) * vocab))[label]!;
    counted++;
  });
  const per = counted === 0 ? 0 : 1 / counted;
  return { mean: sums.reduce((a, b) => a + b, 0) * per, samples: sums.map((s) => s * per * n) };
}

/** PyTorch's `cross_entropy(logits, target, weight, label_smoothing=ε)`, reduction mean. */
export function crossEntropyMean(logits: Float64Array, batch: Batch, options: LossOptions): number {
  const n = batch.size;
  const classes = logits.length / n;
  const epsilon = options.labelSmoothing ?? 0;
  const w = (c: number): number => options.classWeights?.[c] ?? 1;
  let total = 0;
  let weightOfLabels = 0;
  for (let s = 0; s < n; s++) {
    const logP = logSoftmax(logits.subarray(s * classes, (s + 1) * classes));
    let smooth = 0;
    for (let c = 0; c < classes; c++) smooth -= w(c) * logP[c]!;
    if (batch.targets) {
      // Probability targets: −Σ w_c·((1 − ε)·t_c + ε/C)·log p_c, then the plain mean.
      for (let c = 0; c < classes; c++) total -= (1 - epsilon) * w(c) * batch.targets[s * classes + c]! * logP[c]!;
      total += (epsilon / classes) * smooth;
    } else {
      const label = batch.labels?.[s];
      if (label === undefined) throw new HeadstartError('BAD_INPUT', 'softmaxCrossEntropy needs labels in the batch');
      // Class indices: (1 − ε)·w_y·nll + ε/C·Σ_c w_c·(−log p_c), both divided by Σ w_y.
      total += (1 - epsilon) * w(label) * -logP[label]! + (epsilon / classes) * smooth;
      weightOfLabels += w(label);
    }
  }
  return total / (batch.targets || !options.classWeights ? n : weightOfLabels);
}

/** `KL(softmax(teacher/T) ‖ softmax(logits/T))`, mean over samples (PyTorch's `kl_div`, `batchmean`). */
function distillationKl(logits: Float64Array, batch: Batch, temperature: number): number {
  const teacher = batch.teacher;
  if (!teacher) throw new HeadstartError('BAD_INPUT', 'distillation needs teacher logits in the batch');
  const n = batch.size;
  const classes = logits.length / n;
  const scaled = (values: ArrayLike<number>, s: number): Float64Array =>
    Float64Array.from({ length: classes }, (_, c) => values[s * classes + c]! / temperature);
  let total = 0;
  for (let s = 0; s < n; s++) {
    const logTeacher = logSoftmax(scaled(teacher, s));
    const logStudent = logSoftmax(scaled(logits, s));
    for (let c = 0; c < classes; c++) total += Math.exp(logTeacher[c]!) * (logTeacher[c]! - logStudent[c]!);
  }
  return total / n;
}

function logSoftmax(row: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let total = 0;
  for (const v of row) total += Math.exp(v - max);
  const logTotal = Math.log(total) + max;
  return row.map((v) => v - logTotal);
}
