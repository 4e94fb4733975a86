import type { LossOptions, Model } from '../backend.js';
import { HeadstartError } from '../errors.js';
import { outputShape } from '../spec/shapes.js';
import { sizeOf } from '../tensors.js';

/**
 * A teacher for knowledge distillation ({@link FitPlan.teacher}): the fit loop asks it for the logits
 * of every training batch, after the batch's transform, and hands them to the distillation loss
 * (`lossOptions.distillation`) as `batch.teacher`.
 */
export interface Teacher {
  /** What it is, as `--dry-run` shows it (`teacher big-mlp`). */
  name: string;
  /** Shape of one input sample it reads: the training samples' shape. */
  inputShape: readonly number[];
  /** How many classes it scores (the width of its logits): the student's class count. */
  classes: number;
  /**
   * `size × classes` logits (or log-probabilities) for `size` samples of `x`. Must be a function of
   * `x` alone (inference mode, no randomness): a resumed run asks again and must get the same.
   */
  logits(x: Float32Array, size: number): Promise<Float32Array>;
}

/** The smallest normal float32: a predicted probability that underflowed to 0 counts as this. */
const SMALLEST_PROBABILITY = 2 ** -126;
/** How far a row of predicted probabilities may sum from 1 (float32 rounding). */
const ROW_SUM_TOLERANCE = 1e-3;

/**
 * A trained classifier ending in softmax as a {@link Teacher}: its logits are the log of the
 * probabilities its `predict` gives (softmax ignores a shift per row, so these serve the
 * distillation loss exactly as the logits before the softmax would; a probability that underflowed
 * to 0 counts as the smallest normal float32, 2⁻¹²⁶).
 * @throws HeadstartError (BAD_INPUT), when asked for logits, if the model's outputs are not class
 * probabilities (a model without a final softmax).
 */
export function modelTeacher(model: Model, name = 'model'): Teacher {
  const classes = sizeOf(outputShape(model.spec));
  return {
    name,
    inputShape: model.spec.inputShape,
    classes,
    async logits(x, size) {
      const probabilities = await model.predict(x, size);
      checkProbabilities(probabilities, size, classes, name);
      return probabilities.map((p) => Math.log(Math.max(p, SMALLEST_PROBABILITY)));
    },
  };
}

function checkProbabilities(p: Float32Array, size: number, classes: number, name: string): void {
  for (let s = 0; s < size; s++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += p[s * classes + c]!;
    if (!(Math.abs(sum - 1) <= ROW_SUM_TOLERANCE) || p.subarray(s * classes, (s + 1) * classes).some((v) => !(v >= 0)))
      throw new HeadstartError(
        'BAD_INPUT',
        `teacher "${name}": its outputs are not class probabilities (sample ${s}'s sum to ${sum}); give a classifier ending in softmax`,
      );
  }
}

/**
 * Check a teacher against the student it teaches and the samples it will see, before any step.
 * @throws HeadstartError (BAD_INPUT) naming the teacher when its class count or input size differs,
 * or when the plan's loss does not distil (a teacher without `lossOptions.distillation` would be ignored).
 */
export function checkTeacher(
  teacher: Teacher,
  student: { classes: number; sampleShape: readonly number[] },
  lossOptions: LossOptions | undefined,
): void {
  if (teacher.classes !== student.classes)
    throw new HeadstartError(
      'BAD_INPUT',
      `teacher "${teacher.name}" scores ${teacher.classes} classes, the student ${student.classes}: distil from a teacher of the same classes`,
    );
  const [reads, has] = [sizeOf([...teacher.inputShape]), sizeOf([...student.sampleShape])];
  if (reads !== has)
    throw new HeadstartError(
      'BAD_INPUT',
      `teacher "${teacher.name}" takes ${reads} values per sample, the training samples have ${has}: the teacher must read the student's inputs`,
    );
  if (!lossOptions?.distillation)
    throw new HeadstartError(
      'BAD_INPUT',
      `teacher "${teacher.name}" is given but the loss does not distil: set trainer.lossOptions.distillation { temperature, alpha }`,
    );
}
