import type { Batch, LossKind, LossOptions } from '../backend.js';
import { HeadstartError } from '../errors.js';

/** The options {@link LossOptions} has; anything else is refused. */
const LOSS_OPTIONS: readonly string[] = ['labelSmoothing', 'classWeights', 'distillation'] satisfies (keyof LossOptions)[];
const DISTILLATION_OPTIONS: readonly string[] = ['temperature', 'alpha'];

/** How far a soft label's row may sum from 1 (float32 rounding of a mixed or smoothed row). */
const ROW_SUM_TOLERANCE = 1e-3;

/**
 * Check loss options against the loss and the model's class count: known names only, ε in [0, 1),
 * one positive weight per class, a positive temperature and alpha in [0, 1].
 * @throws HeadstartError (BAD_INPUT) naming the option at fault and what was expected.
 */
export function checkLossOptions(options: LossOptions | undefined, loss: LossKind, classes: number): void {
  if (options === undefined) return;
  refuseUnknown('lossOptions', options, LOSS_OPTIONS);
  const given = Object.entries(options).filter(([, v]) => v !== undefined);
  if (given.length > 0 && loss !== 'softmaxCrossEntropy')
    throw new HeadstartError('BAD_INPUT', `lossOptions.${given[0]![0]}: applies to loss softmaxCrossEntropy only, not ${loss}`);
  const { labelSmoothing, classWeights, distillation } = options;
  if (labelSmoothing !== undefined && !(labelSmoothing >= 0 && labelSmoothing < 1))
    throw new HeadstartError('BAD_INPUT', `lossOptions.labelSmoothing: must be in [0, 1), got ${labelSmoothing}`);
  if (classWeights !== undefined) {
    if (!Array.isArray(classWeights) || classWeights.length !== classes)
      throw new HeadstartError(
        'BAD_INPUT',
        `lossOptions.classWeights: expected one weight per class (${classes}), got ${Array.isArray(classWeights) ? classWeights.length : typeof classWeights}`,
      );
    const bad = classWeights.findIndex((w) => !(typeof w === 'number' && w > 0 && Number.isFinite(w)));
    if (bad >= 0)
      throw new HeadstartError(
        'BAD_INPUT',
        `lossOptions.classWeights: weight ${bad} must be a finite number > 0, got ${classWeights[bad]}`,
      );
  }
  if (distillation !== undefined) {
    refuseUnknown('lossOptions.distillation', distillation, DISTILLATION_OPTIONS);
    if (!(distillation.temperature > 0 && Number.isFinite(distillation.temperature)))
      throw new HeadstartError('BAD_INPUT', `lossOptions.distillation.temperature: must be > 0, got ${distillation.temperature}`);
    if (!(distillation.alpha >= 0 && distillation.alpha <= 1))
      throw new HeadstartError('BAD_INPUT', `lossOptions.distillation.alpha: must be in [0, 1], got ${distillation.alpha}`);
  }
}

function refuseUnknown(where: string, value: object, known: readonly string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HeadstartError('BAD_INPUT', `${where}: expected an object with ${known.join(', ')}`);
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new HeadstartError('BAD_INPUT', `${where}: unknown option "${unknown}"; expected one of ${known.join(', ')}`);
}

/**
 * The cross-entropy target `Q` `[size, classes]` of a batch such that the loss is
 * `−Σ Q·log softmax(logits) / size` and its gradient `(softmax·rowSum(Q) − Q) / size`: the labels
 * (one-hot) or soft labels, smoothed, times the class weights, rescaled so that dividing by the batch
 * size gives PyTorch's weighted mean (`× size / Σ w_y` for class-index labels). Written into `reuse`
 * when it has the right length. Every backend feeds its cross-entropy this, so all reduce alike.
 * @throws HeadstartError (BAD_INPUT) when the batch has neither labels nor soft labels, a label is out
 * of range, or a soft label's row is not a probability distribution.
 */
export function crossEntropyTarget(batch: Batch, classes: number, options?: LossOptions, reuse?: Float32Array): Float32Array {
  const target = reuse && reuse.length === batch.size * classes ? reuse : new Float32Array(batch.size * classes);
  const soft = batch.targets !== undefined;
  if (soft) target.set(checkedSoftLabels(batch, classes));
  else writeOneHot(batch, classes, target);
  const epsilon = options?.labelSmoothing ?? 0;
  const weights = options?.classWeights;
  if (epsilon === 0 && !weights) return target;
  let weightOfLabels = 0;
  for (let s = 0; s < batch.size; s++) {
    if (!soft) weightOfLabels += weights?.[batch.labels![s]!] ?? 1;
    for (let c = 0; c < classes; c++) {
      const i = s * classes + c;
      target[i] = ((1 - epsilon) * target[i]! + epsilon / classes) * (weights?.[c] ?? 1);
    }
  }
  // PyTorch's weighted mean for class indices divides by Σ w_y; probability targets by the batch size.
  const scale = soft || !weights ? 1 : batch.size / weightOfLabels;
  if (scale !== 1) for (let i = 0; i < target.length; i++) target[i]! *= scale;
  return target;
}

function writeOneHot(batch: Batch, classes: number, target: Float32Array): void {
  const labels = batch.labels;
  if (!labels || labels.length !== batch.size)
    throw new HeadstartError(
      'BAD_INPUT',
      `softmaxCrossEntropy needs ${batch.size} labels in the batch, got ${labels?.length ?? 'none'} (or ${batch.size}×${classes} soft labels as its targets)`,
    );
  target.fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < classes && Number.isInteger(label)))
      throw new HeadstartError('BAD_INPUT', `label ${label} of sample ${i} is not a class index in 0..${classes - 1}`);
    target[i * classes + label] = 1;
  }
}

function checkedSoftLabels(batch: Batch, classes: number): Float32Array {
  const soft = batch.targets!;
  if (soft.length !== batch.size * classes)
    throw new HeadstartError('BAD_INPUT', `soft labels: expected ${batch.size}×${classes} targets in the batch, got ${soft.length}`);
  for (let s = 0; s < batch.size; s++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const p = soft[s * classes + c]!;
      if (!(p >= 0 && p <= 1))
        throw new HeadstartError('BAD_INPUT', `soft labels: sample ${s} class ${c} is ${p}, expected a probability in [0, 1]`);
      sum += p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE)
      throw new HeadstartError('BAD_INPUT', `soft labels: sample ${s}'s probabilities sum to ${sum}, expected 1`);
  }
  return soft;
}

/**
 * The batch's teacher logits for the distillation loss, checked.
 * @throws HeadstartError (BAD_INPUT) when they are missing, mis-sized or not finite.
 */
export function teacherLogits(batch: Batch, classes: number): Float32Array {
  const teacher = batch.teacher;
  if (!teacher || teacher.length !== batch.size * classes)
    throw new HeadstartError(
      'BAD_INPUT',
      `distillation needs ${batch.size}×${classes} teacher logits in the batch (batch.teacher), got ${teacher?.length ?? 'none'}`,
    );
  const bad = teacher.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new HeadstartError('BAD_INPUT', `teacher logit ${bad} is ${teacher[bad]}, expected a finite number`);
  return teacher;
}

/**
 * The class each sample's loss target points at: its label, or its soft label's most probable class
 * (the first on ties, as argmax). `correct` counts samples whose highest output is this class.
 */
export function targetClasses(batch: Batch, classes: number): Int32Array | undefined {
  if (!batch.targets) return batch.labels;
  const result = new Int32Array(batch.size);
  for (let s = 0; s < batch.size; s++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (batch.targets[s * classes + c]! > batch.targets[s * classes + best]!) best = c;
    result[s] = best;
  }
  return result;
}
