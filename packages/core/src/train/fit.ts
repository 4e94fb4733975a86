import type { Batch, Model, Trainer } from '../backend.js';
import type { TrainingState } from '../checkpoint/manifest.js';
import { batchOrder } from '../data/batches.js';
import { isTokenDataset } from '../data/token-dataset.js';
import { makeTrainingBatch, valuesPerSample } from '../data/training-data.js';
import { checkPlanData } from '../data/sample-size.js';
import { HeadstartError } from '../errors.js';
import { createRng, type Rng } from '../rng.js';
import { batchRng, transformBatch } from './batch-transform.js';
import { mixSeeds } from '../backend-kit/dropout-mask.js';
import type { NamedTensors } from '../tensors.js';
import { EarlyStopper } from './early-stopping.js';
import type { EpochMetrics, EventSink } from './events.js';
import type { FitPlan, FitResult } from './fit-plan.js';
import { evaluateClassifier } from './metrics.js';
import { scheduleFactor } from './schedules.js';
import { StepChunks, stepsUntilCheckpoint } from './step-chunks.js';
import { checkPlanTeacher, teacherFeed, type TeacherFeed } from './teacher-feed.js';

/** A snapshot the loop asks to have written as a checkpoint. */
export interface FitSnapshot {
  state: TrainingState;
  model: Model;
  trainer: Trainer;
  /** Loop state kept as tensors beside the optimizer's (the early-stopping best weights). */
  tensors: NamedTensors;
}

/** What the loop needs from the run around it. */
export interface FitEnv {
  stage: number;
  /** The run's RNG; the loop draws each epoch's order from it and restores it on resume. */
  rng: Rng;
  /** The run's seed, from which each batch transform's generator is derived. Default the plan's `trainer.seed`, else 0. */
  seed?: number | undefined;
  emit: EventSink;
  signal: AbortSignal;
  /** Continue from here when its `phase` matches the plan's. */
  resume?: { state: TrainingState; optimizer: NamedTensors } | undefined;
  /** Write a resumable checkpoint (periodically, at epoch ends, on interrupt). */
  save?(snapshot: FitSnapshot): Promise<void>;
  /** How often to write a resumable checkpoint mid-epoch; undefined: only at epoch ends and on interrupt. */
  checkpointEvery?: CheckpointInterval | undefined;
}

/** Steps or seconds between periodic resumable checkpoints (`--checkpoint-every 500` or `30s`). */
export type CheckpointInterval = { steps: number } | { seconds: number };

/** Thrown when the run's AbortSignal fired; a resumable checkpoint was written first. */
export class InterruptedError extends HeadstartError {
  constructor(message = 'interrupted; a resumable checkpoint was saved, continue with --resume') {
    super('INTERRUPTED', message);
    this.name = 'InterruptedError';
  }
}

interface Position {
  epoch: number;
  cursor: number;
  step: number;
  /** RNG state at the start of `epoch`, from which its batch order is drawn again on resume. */
  epochRng: number[];
  /** Running sums of the current epoch, so a run resumed mid-epoch reports the whole epoch's metrics. */
  totals: Totals;
}

/** Longest the loop runs without yielding to the event loop, so Ctrl-C is seen mid-epoch on any engine. */
const YIELD_EVERY_MS = 50;

/**
 * Core's training loop for one phase (Lightning's fit loop): seeded shuffling each epoch, the LR
 * schedule, metrics, validation, early stopping, periodic checkpoints and exact resume (RNG state
 * at the epoch start + cursor). A strategy reaches it through `ctx.fit`; {@link runStrategy} builds
 * the `env` (events, checkpoints, resume) around it.
 */
export async function fitLoop(model: Model, plan: FitPlan, env: FitEnv): Promise<FitResult> {
  checkPlanData(model, plan);
  checkPlanTeacher(model, plan);
  const started = Date.now();
  const teacher = plan.teacher ? await teacherFeed(plan.teacher, plan) : undefined;
  const stepsPerEpoch = Math.ceil(plan.train.size / plan.batchSize);
  const trainer = model.trainer(plan.trainer);
  const stopper = plan.earlyStopping ? new EarlyStopper(plan.earlyStopping, Boolean(plan.val)) : undefined;
  const at: Position = { epoch: 0, cursor: 0, step: 0, epochRng: env.rng.state(), totals: emptyTotals() };
  const resume = env.resume?.state.phase === plan.phase ? env.resume : undefined;
  const history: EpochMetrics[] = [...(resume?.state.history ?? [])];
  if (resume) {
    const optimizer =
      stopper && resume.state.earlyStopping ? stopper.restore(resume.state.earlyStopping, resume.optimizer) : resume.optimizer;
    await trainer.setState(optimizer);
    Object.assign(at, { epoch: resume.state.epoch, cursor: resume.state.cursor, step: resume.state.step, epochRng: resume.state.rng });
    if (resume.state.totals) at.totals = { ...resume.state.totals };
    env.rng.setState(resume.state.rng);
  }
  const snapshot = (): FitSnapshot => ({
    model,
    trainer,
    tensors: stopper?.tensors() ?? new Map(),
    state: {
      stage: env.stage,
      phase: plan.phase,
      epoch: at.epoch,
      step: at.step,
      cursor: at.cursor,
      rng: at.epochRng,
      totals: { ...at.totals },
      history: [...history],
      complete: false,
      earlyStopping: stopper?.state(),
      trainable: plan.trainer.trainable,
    },
  });
  let savedAt = Date.now();
  const save = (): Promise<void> | undefined => {
    savedAt = Date.now();
    return env.save?.(snapshot());
  };
  const due = (): boolean => periodicSaveDue(env.checkpointEvery, at.step, savedAt);
  // Input bytes of one batch (twice over for targets or masks), bounding how many go to one stepMany call.
  const chunks = new StepChunks(8 * plan.batchSize * valuesPerSample(plan.train), stepsPerEpoch, stepsPerEpoch * plan.epochs);
  let stoppedEarly = false;
  try {
    while (at.epoch < plan.epochs && !stoppedEarly) {
      const epochStart = Date.now();
      env.emit({ type: 'epoch-start', stage: env.stage, epoch: at.epoch, epochs: plan.epochs });
      const totals = await runEpoch(trainer, plan, env, at, stepsPerEpoch, save, due, chunks, teacher);
      const metrics = await epochMetrics(model, plan, totals);
      // The last step's update can blow the weights up while its own loss (of the old weights) looked fine.
      if (metrics.valLoss !== undefined) checkFinite(metrics.valLoss, plan.phase, at, 'validation loss');
      history.push(metrics);
      env.emit({
        type: 'epoch-end',
        stage: env.stage,
        epoch: at.epoch,
        epochs: plan.epochs,
        metrics,
        seconds: (Date.now() - epochStart) / 1000,
      });
      stoppedEarly = stopper ? (await stopper.update(at.epoch, metrics, model)) === 'stop' : false;
      await plan.onEpochEnd?.(at.epoch, metrics);
      if (stoppedEarly) env.emit({ type: 'early-stop', stage: env.stage, epoch: at.epoch, ...stopper!.summary() });
      Object.assign(at, { epoch: at.epoch + 1, cursor: 0, epochRng: env.rng.state(), totals: emptyTotals() });
      if (at.epoch < plan.epochs && !stoppedEarly) await save();
    }
    if (stoppedEarly) await stopper!.restoreBest(model);
  } finally {
    trainer.dispose();
  }
  const metrics = stoppedEarly ? stopper!.bestMetrics(history) : (history[history.length - 1] ?? { loss: Number.NaN });
  return { model, metrics, history, epochs: at.epoch, steps: at.step, stoppedEarly, seconds: (Date.now() - started) / 1000 };
}

interface Totals {
  loss: number;
  correct: number;
  seen: number;
}

function emptyTotals(): Totals {
  return { loss: 0, correct: 0, seen: 0 };
}

/** The batches of one epoch from `at.cursor` on; `at` advances as they run. */
async function runEpoch(
  trainer: Trainer,
  plan: FitPlan,
  env: FitEnv,
  at: Position,
  stepsPerEpoch: number,
  save: () => Promise<void> | undefined,
  due: () => boolean,
  chunks: StepChunks,
  teacher: TeacherFeed | undefined,
): Promise<Totals> {
  env.rng.setState(at.epochRng);
  const order = batchOrder(plan.train.size, env.rng);
  const totals = at.totals;
  const schedule = plan.schedule ?? { type: 'constant' };
  const transformSeed = env.seed ?? plan.trainer.seed ?? 0;
  let yielded = Date.now();
  for (; at.cursor < stepsPerEpoch; ) {
    if (Date.now() - yielded > YIELD_EVERY_MS) {
      // A synchronous engine (tfjs cpu) never gives signal handlers a turn otherwise.
      await new Promise((resolve) => setImmediate(resolve));
      yielded = Date.now();
    }
    if (env.signal.aborted) {
      await save();
      throw new InterruptedError();
    }
    // Small steps go several to a call (Trainer.stepMany), never past the epoch's end or a due checkpoint.
    const count = chunks.next(trainer, Math.min(stepsPerEpoch - at.cursor, stepsUntilCheckpoint(env.checkpointEvery, at.step)));
    const batches: Batch[] = [];
    const lrScales: number[] = [];
    for (let k = 0; k < count; k++) {
      const start = (at.cursor + k) * plan.batchSize;
      const made = makeTrainingBatch(plan.train, order, start, plan.batchSize, batchTarget(plan));
      const batch = plan.transform
        ? transformBatch(plan.transform, made, featureShape(plan), batchRng(transformSeed, plan.phase, at.epoch, at.cursor + k))
        : made;
      if (plan.inputNoise) corrupt(batch, plan.inputNoise, mixSeeds(plan.trainer.seed ?? 0, at.step + k));
      // The teacher scores what the student trains on: the batch after its transform and noise.
      batches.push(teacher ? await teacher.attach(batch, order.subarray(start, start + batch.size)) : batch);
      lrScales.push(scheduleFactor(schedule, at.step + k, stepsPerEpoch * plan.epochs, stepsPerEpoch));
    }
    const results = await chunks.run(trainer, batches, lrScales);
    results.forEach((result, k) => {
      checkFinite(result.loss, plan.phase, at);
      accumulate(totals, batches[k]!, result);
      at.cursor++;
      at.step++;
      const accuracy = result.correct !== undefined ? { accuracy: totals.correct / totals.seen } : {};
      env.emit({
        type: 'step',
        stage: env.stage,
        epoch: at.epoch,
        step: at.cursor,
        stepsPerEpoch,
        loss: result.loss,
        ...accuracy,
        lr: lrScales[k]! * (plan.trainer.groups[0]?.lr ?? 0),
      });
    });
    if (at.cursor < stepsPerEpoch && due()) await save();
  }
  return totals;
}

/** Whether the plan is masked-language modelling: targets per token, written by its transform, no classes. */
function tokenTargets(plan: FitPlan): boolean {
  return plan.trainer.loss === 'tokenCrossEntropy';
}

/** What a training batch holds as its target; token targets come from the plan's transform, not the data. */
function batchTarget(plan: FitPlan): 'labels' | 'inputs' | 'none' {
  return tokenTargets(plan) ? 'none' : (plan.target ?? 'labels');
}

/**
 * The shape of a training sample a batch transform changes: `[T]` token ids for masked-language
 * modelling (its masking reads the named inputs); other transforms change float features only.
 */
function featureShape(plan: FitPlan): number[] {
  if (!isTokenDataset(plan.train)) return plan.train.sampleShape;
  if (tokenTargets(plan)) return [plan.train.sequenceLength];
  throw new HeadstartError(
    'NOT_SUPPORTED',
    `phase "${plan.phase}": batch transforms change float features; ${plan.train.source.file} is text`,
  );
}

function periodicSaveDue(every: CheckpointInterval | undefined, step: number, savedAt: number): boolean {
  if (!every) return false;
  if ('steps' in every) return every.steps > 0 && step % every.steps === 0;
  return every.seconds > 0 && Date.now() - savedAt >= every.seconds * 1000;
}

function accumulate(totals: Totals, batch: Batch, result: { loss: number; correct?: number | undefined }): void {
  totals.loss += result.loss * batch.size;
  totals.correct += result.correct ?? 0;
  totals.seen += batch.size;
}

async function epochMetrics(model: Model, plan: FitPlan, totals: Totals): Promise<EpochMetrics> {
  const metrics: EpochMetrics = { loss: totals.loss / Math.max(1, totals.seen) };
  // An autoencoder's or a masked-language model's loss has no classes to be accurate about.
  if ((plan.target ?? 'labels') !== 'labels' || tokenTargets(plan)) return metrics;
  metrics.accuracy = totals.correct / Math.max(1, totals.seen);
  if (plan.val?.labels && plan.val.size > 0) {
    const evaluation = await evaluateClassifier(model, plan.val, plan.val.labelMap ?? plan.train.labelMap ?? []);
    metrics.valLoss = evaluation.loss;
    metrics.valAccuracy = evaluation.accuracy;
  }
  return metrics;
}

function corrupt(batch: Batch, noise: NonNullable<FitPlan['inputNoise']>, seed: number): void {
  if (batch.inputs) throw new HeadstartError('NOT_SUPPORTED', 'input noise corrupts float features, not token ids');
  const rng = createRng(seed);
  const x = batch.x;
  if (noise.type === 'mask') for (let i = 0; i < x.length; i++) x[i] = rng.next() < noise.amount ? 0 : x[i]!;
  else for (let i = 0; i < x.length; i++) x[i] = x[i]! + noise.amount * rng.normal();
}

function checkFinite(loss: number, phase: string, at: Position, what: 'loss' | 'validation loss' = 'loss'): void {
  if (!Number.isFinite(loss)) {
    const where = what === 'loss' ? `in ${phase} epoch ${at.epoch + 1}, batch ${at.cursor + 1}` : `after ${phase} epoch ${at.epoch + 1}`;
    throw new DivergedError(`${what} is ${loss} ${where}`);
  }
}

/**
 * @deprecated Renamed {@link fitLoop}, so `fit` names one thing, a strategy's `ctx.fit`. Same
 * function, kept so code written against the old name still works.
 */
export const fit: typeof fitLoop = fitLoop;

/** Training produced a non-finite loss or weights; nothing was written over the last good checkpoint. */
export class DivergedError extends HeadstartError {
  constructor(what: string) {
    super(
      'BAD_INPUT',
      `training diverged: ${what}; lower the learning rate (--lr) or check the data for extreme values (the last good checkpoint is kept)`,
    );
    this.name = 'DivergedError';
  }
}
