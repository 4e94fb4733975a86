import type { Batch, Model } from '../backend.js';
import type { Dataset } from '../data/dataset.js';
import { isTokenDataset } from '../data/token-dataset.js';
import { HeadstartError } from '../errors.js';
import { outputShape } from '../spec/shapes.js';
import { sizeOf } from '../tensors.js';
import type { FitPlan } from './fit-plan.js';
import { checkTeacher, type Teacher } from './teacher.js';

/** Samples a teacher scores per call when it scores the whole training set. */
const PRECOMPUTE_CHUNK = 256;

/** Gives each training batch its teacher's logits (`batch.teacher`). */
export interface TeacherFeed {
  /** `batch` with the teacher's logits of its inputs; `rows` are the training samples it was made of. */
  attach(batch: Batch, rows: ArrayLike<number>): Promise<Batch>;
}

/**
 * Check the plan's teacher (if any) against the student model and the training samples.
 * @throws HeadstartError (BAD_INPUT) naming the teacher, see {@link checkTeacher}.
 */
export function checkPlanTeacher(model: Model, plan: FitPlan): void {
  if (!plan.teacher) return;
  if (isTokenDataset(plan.train))
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `teacher "${plan.teacher.name}": distillation takes float features; ${plan.train.source.file} is text`,
    );
  const student = { classes: sizeOf(outputShape(model.spec)), sampleShape: plan.train.sampleShape };
  checkTeacher(plan.teacher, student, plan.trainer.lossOptions);
}

/**
 * The feed for a plan's teacher. When the batches are the training set's rows unchanged (no
 * transform, no input noise), the teacher scores the training set once, in fixed chunks, and each
 * batch gathers its rows; otherwise it scores each batch as transformed, one call a batch. Either
 * way the logits are a function of the teacher and the batch alone, so a resumed run gets the same.
 */
export async function teacherFeed(teacher: Teacher, plan: FitPlan): Promise<TeacherFeed> {
  const changed = plan.transform !== undefined || plan.inputNoise !== undefined;
  if (changed) return { attach: async (batch) => ({ ...batch, teacher: await logitsOf(teacher, batch.x, batch.size) }) };
  if (isTokenDataset(plan.train)) throw new HeadstartError('NOT_SUPPORTED', 'distillation takes float features, not text');
  const all = await scoreAll(teacher, plan.train);
  const classes = teacher.classes;
  return {
    async attach(batch, rows) {
      const logits = new Float32Array(batch.size * classes);
      for (let i = 0; i < batch.size; i++) logits.set(all.subarray(rows[i]! * classes, (rows[i]! + 1) * classes), i * classes);
      return { ...batch, teacher: logits };
    },
  };
}

async function scoreAll(teacher: Teacher, train: Dataset): Promise<Float32Array> {
  const width = sizeOf(train.sampleShape);
  const all = new Float32Array(train.size * teacher.classes);
  for (let start = 0; start < train.size; start += PRECOMPUTE_CHUNK) {
    const size = Math.min(PRECOMPUTE_CHUNK, train.size - start);
    const x = train.features.subarray(start * width, (start + size) * width);
    all.set(await logitsOf(teacher, x, size), start * teacher.classes);
  }
  return all;
}

/** The teacher's logits for `size` samples, checked to be `size × classes` finite numbers. */
async function logitsOf(teacher: Teacher, x: Float32Array, size: number): Promise<Float32Array> {
  const logits = await teacher.logits(x, size);
  if (logits.length !== size * teacher.classes)
    throw new HeadstartError(
      'PLUGIN_ERROR',
      `teacher "${teacher.name}" returned ${logits.length} logits for ${size} samples; expected ${size}×${teacher.classes}`,
    );
  return logits;
}
