import {
  featureData,
  createRng,
  earlyStoppingFrom,
  HeadstartError,
  initializeWeights,
  modelTeacher,
  optimizerFrom,
  parameterShapes,
  scheduleFrom,
  sizeOf,
  type FitPlan,
  type Label,
  type LossOptions,
  type Model,
  type ModelSpec,
  type Strategy,
  type StrategyContext,
  type Teacher,
} from '@headstart/core';
import { distillationOptionsSchema, type DistillationOptions } from './options.js';
import { studentSpec } from './student-spec.js';
import { VERSION } from './version.js';

/** Offsets of the run's seed for the two models' initial weights, so each is the same however the run got there. */
const TEACHER_SEED = 1;
const STUDENT_SEED = 2;

/**
 * `distillation` (Hinton et al., 2015): train a big teacher, then a small student on the same labels
 * with the distillation loss, `alpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha)·`
 * cross-entropy. The teacher is the `--from` model when given (trained on the data's labels), else
 * `--model` (or the default for the data) trained here for `teacherEpochs`; the student is an MLP of
 * `studentUnits`. The student's phase hands the teacher to the fit loop as `FitPlan.teacher`, which
 * gives each training batch the teacher's logits (after `--augment`), on every backend.
 *
 * Phases `teacher` (without `--from`) and `student`. A run resumed in the student's phase trains the
 * teacher again first (the same seed gives the same teacher), so it ends bit-identical to an
 * unbroken run; with `--from` nothing is trained twice.
 */
export function distillation(): Strategy<DistillationOptions> {
  return {
    name: 'distillation',
    meta: { version: VERSION, description: 'Train a big teacher (or take --from), then distil it into a small student MLP.' },
    options: distillationOptionsSchema,
    needsStart: 'optional',
    async run(ctx, options) {
      const labels = ctx.data.train.labelMap ?? [];
      const student = studentSpec(featureData(ctx.data.train, 'distillation').sampleShape, options.studentUnits, labels.length);
      const teacherSpec = ctx.from?.spec ?? ctx.spec;
      checkTeacherSpec(ctx, teacherSpec, student, labels);
      // The teacher first: on --resume in its phase it is the model the checkpoint continues.
      const teacherModel = await ctx.createModel(
        teacherSpec,
        ctx.from?.weights ?? initializeWeights(teacherSpec, createRng(ctx.seed + TEACHER_SEED)),
      );
      const teacherMetrics = ctx.from ? undefined : (await ctx.fit(teacherModel, teacherPlan(ctx, options, teacherModel))).metrics;
      const model = await ctx.createModel(student, initializeWeights(student, createRng(ctx.seed + STUDENT_SEED)));
      ctx.emit({
        type: 'log',
        level: 'info',
        message: `distillation: teacher of ${parameterCount(teacherSpec)} parameters → student of ${parameterCount(student)} (T ${options.temperature}, alpha ${options.alpha})`,
      });
      const teacher = modelTeacher(teacherModel, ctx.from ? `--from ${ctx.from.file}` : 'teacher phase');
      const result = await ctx.fit(model, studentPlan(ctx, options, model, teacher));
      teacherModel.dispose();
      const teacherAccuracy = teacherMetrics?.valAccuracy;
      return {
        model,
        labels,
        metrics: { ...result.metrics, ...(teacherAccuracy !== undefined ? { teacherValAccuracy: teacherAccuracy } : {}) },
        trainable: trainableOf(model),
      };
    },
  };
}

/**
 * @throws HeadstartError (BAD_INPUT) when the `--from` teacher was trained on other labels, or the
 * student would be the teacher's own architecture (nothing to distil into, and a resumed run could
 * not tell the two apart).
 */
function checkTeacherSpec(ctx: StrategyContext, teacher: ModelSpec, student: ModelSpec, labels: readonly Label[]): void {
  if (ctx.from && !sameLabels(ctx.from.labels, labels))
    throw new HeadstartError(
      'BAD_INPUT',
      `distillation: the --from teacher was trained on labels [${(ctx.from.labels ?? []).join(', ')}], the data has [${labels.join(', ')}]; give a teacher trained on the same labels`,
    );
  if (JSON.stringify(teacher) === JSON.stringify(student))
    throw new HeadstartError(
      'BAD_INPUT',
      "distillation: the student (studentUnits) is the teacher's architecture; give smaller studentUnits",
    );
}

/** The teacher's phase: every parameter, plain cross-entropy, `teacherEpochs`. */
function teacherPlan(ctx: StrategyContext, options: DistillationOptions, teacher: Model): FitPlan {
  return phase(ctx, { ...options, epochs: options.teacherEpochs }, 'teacher', trainableOf(teacher));
}

/** The student's phase: every parameter, the distillation loss from `teacher`. */
function studentPlan(ctx: StrategyContext, options: DistillationOptions, student: Model, teacher: Teacher): FitPlan {
  const distil: LossOptions = { distillation: { temperature: options.temperature, alpha: options.alpha } };
  return { ...phase(ctx, options, 'student', trainableOf(student), distil), teacher };
}

function phase(ctx: StrategyContext, options: DistillationOptions, name: string, trainable: string[], lossOptions?: LossOptions): FitPlan {
  const earlyStopping = earlyStoppingFrom(options);
  return {
    phase: name,
    train: ctx.data.train,
    ...(ctx.data.val ? { val: ctx.data.val } : {}),
    epochs: options.epochs,
    batchSize: options.batchSize,
    trainer: {
      trainable,
      groups: [{ name: 'all', params: trainable, lr: options.lr, weightDecay: options.weightDecay }],
      optimizer: optimizerFrom(options),
      loss: 'softmaxCrossEntropy',
      ...(lossOptions ? { lossOptions } : {}),
      seed: ctx.seed,
    },
    schedule: scheduleFrom(options, Math.ceil(ctx.data.train.size / options.batchSize)),
    ...(earlyStopping ? { earlyStopping } : {}),
  };
}

function trainableOf(model: Model): string[] {
  return model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
}

function parameterCount(spec: ModelSpec): number {
  return parameterShapes(spec).reduce((n, p) => n + sizeOf(p.shape), 0);
}

function sameLabels(a: readonly Label[] | undefined, b: readonly Label[]): boolean {
  return a !== undefined && a.length === b.length && a.every((label, i) => String(label) === String(b[i]));
}
