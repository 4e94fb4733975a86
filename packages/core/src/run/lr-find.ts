import type { Backend, Model } from '../backend.js';
import { HeadstartError, PluginError } from '../errors.js';
import { createRng, type Rng } from '../rng.js';
import type { ModelSpec } from '../spec/model-spec.js';
import type { AnyStrategy, StartingPoint, StrategyContext, StrategyData } from '../strategy.js';
import type { EventSink, TrainingEvent } from '../train/events.js';
import { DivergedError, fitLoop, InterruptedError } from '../train/fit.js';
import type { FitPlan } from '../train/fit-plan.js';
import { withAugmentation } from './augmented-plan.js';
import {
  DIVERGENCE_FACTOR,
  LossSmoother,
  rangeLr,
  rangeSchedule,
  suggestLr,
  type LrPoint,
  type LrRangeSettings,
  type LrSuggestion,
} from '../train/lr-range.js';
import { checkSeveralClasses } from './class-count.js';
import { createRunModel } from './create-model.js';

/** A learning-rate range test of a strategy, as `headstart lr-find` and `lr: auto` ask for it. */
export interface LrFindRun {
  strategy: AnyStrategy;
  /** Options as the strategy's schema parsed them; `lr` is what the test varies (its value only tells phases apart). */
  options: Record<string, unknown>;
  backend: Backend;
  /** Data, already preprocessed, split as the training run would split it. */
  data: StrategyData;
  from?: StartingPoint | undefined;
  spec: ModelSpec;
  /** The training run's seed: the test starts from the very weights and batch order the run would. */
  seed: number;
  range: LrRangeSettings;
  /** The strategy's own events and those of phases trained before the tested one; the test's steps are not sent. */
  emit: EventSink;
  signal: AbortSignal;
}

/** What a range test found. */
export interface LrFindResult {
  /** The phase tested: the first one whose top parameter group trains at the strategy's `lr`. */
  phase: string;
  /** The phase's parameter groups and each one's rate as a share of the top one's (the points' `lr`); the test keeps these ratios. */
  groups: { name: string; ratio: number }[];
  /** One a step, in order; the rates grow exponentially. */
  points: LrPoint[];
  /** Why it ended: all steps ran, or the smoothed loss diverged (grew past 4× its best, or was not finite). */
  stopped: 'end' | 'diverged';
  suggestion: LrSuggestion;
  range: LrRangeSettings;
}

/** Thrown out of the strategy once the range test of its phase ran: the rest of the strategy is not needed. */
class RangeTestDone extends HeadstartError {
  constructor() {
    super('USAGE', 'the lr-find range test ran');
  }
}

/**
 * Run a learning-rate range test (Smith 2015; fastai's `lr_find`) on the phase of `run.strategy`
 * that `lr` sets: the strategy runs as it would train (same start, trainable set, parameter groups,
 * optimizer, batch size, data and seed) until it asks to fit the first phase whose top group's rate
 * is `lr` (earlier phases at their own rates train in full); that phase then takes up to
 * `range.steps` steps with every group's rate scaled by the same exponentially growing factor, its
 * loss smoothed, until the smoothed loss diverges. Nothing is written: no checkpoint, no output.
 * @throws HeadstartError `USAGE` when no phase trains at `lr`, `BAD_INPUT` when the loss diverged
 * too early for the rule to read the curve, `INTERRUPTED` when `run.signal` fired.
 */
export async function findLearningRate(run: LrFindRun): Promise<LrFindResult> {
  checkSeveralClasses(run.data.train);
  const reference = referenceLr(run.options);
  const rng = createRng(run.seed);
  const models: Model[] = [];
  let tested: Omit<LrFindResult, 'suggestion' | 'range'> | undefined;
  const ctx: StrategyContext = {
    backend: run.backend,
    data: run.data,
    from: run.from,
    spec: run.spec,
    seed: run.seed,
    rng,
    createModel: async (spec, weights) => {
      const model = disposedOnce(await createRunModel(run.backend, spec, weights, run.seed, rng, run.emit));
      models.push(model);
      return model;
    },
    fit: async (model, asked) => {
      const plan = withAugmentation(asked, run.data);
      if (topRate(plan) !== reference) return fitLoop(model, plan, { stage: 0, rng, seed: run.seed, emit: run.emit, signal: run.signal });
      const groups = plan.trainer.groups.map((g) => ({ name: g.name, ratio: g.lr / reference }));
      tested = {
        phase: plan.phase,
        groups,
        ...(await rangeTest(model, plan, { reference, rng, seed: run.seed, range: run.range, signal: run.signal })),
      };
      throw new RangeTestDone();
    },
    emit: run.emit,
    signal: run.signal,
    dryRun: false,
  };
  try {
    await run.strategy.run(ctx, { ...run.options, lr: reference });
  } catch (error) {
    if (run.signal.aborted) throw interrupted();
    if (!(error instanceof RangeTestDone))
      throw error instanceof HeadstartError ? error : new PluginError(`strategy:${run.strategy.name}`, 'run', error);
  } finally {
    for (const model of models) model.dispose();
  }
  if (!tested)
    throw new HeadstartError('USAGE', `lr-find: strategy ${run.strategy.name} trained no phase at its lr option; there is no rate to find`);
  const suggestion = suggestLr(tested.points, run.range);
  if (!suggestion) throw tooShort(tested.points.length, run.range);
  return { ...tested, suggestion, range: run.range };
}

/**
 * The rate a strategy whose `lr` has no fixed default (`continued` chooses it from the data) is run
 * with in the test: the rate is then given, as it will be when the run trains at the suggestion.
 */
export const PROBE_LR = 1e-3;

/**
 * The `lr` the strategy is run with: its parsed value ({@link PROBE_LR} when the strategy leaves it
 * to the data), unless another numeric option holds the same number (pretrain-finetune's
 * `pretrainLr` and `lr` are both 1e-3 by default), when it is nudged by a part in a thousand until
 * it is unique, so the phase `lr` sets is told apart by its rate.
 */
export function referenceLr(options: Record<string, unknown>): number {
  const lr = options.lr ?? PROBE_LR;
  if (typeof lr !== 'number' || !(lr > 0)) throw new HeadstartError('USAGE', 'lr: auto: this strategy has no numeric lr option to find');
  const others = new Set(Object.entries(options).flatMap(([key, value]) => (key !== 'lr' && typeof value === 'number' ? [value] : [])));
  let reference = lr;
  while (others.has(reference)) reference *= 1.001;
  return reference;
}

/** The rate of a phase's top (fastest) parameter group: the strategy's `lr` in the phase it sets. */
function topRate(plan: FitPlan): number {
  return Math.max(...plan.trainer.groups.map((g) => g.lr));
}

interface RangeEnv {
  reference: number;
  rng: Rng;
  seed: number;
  range: LrRangeSettings;
  signal: AbortSignal;
}

/**
 * Up to `range.steps` steps of core's loop on `plan`, every group's rate times the range schedule's
 * factor; no validation, early stopping or epoch-end hooks. Stops (through the loop's abort signal)
 * after the last step or once the smoothed loss diverges.
 */
async function rangeTest(model: Model, plan: FitPlan, env: RangeEnv): Promise<{ points: LrPoint[]; stopped: 'end' | 'diverged' }> {
  const { val: _val, earlyStopping: _earlyStopping, onEpochEnd: _onEpochEnd, ...rest } = plan;
  const stepsPerEpoch = Math.ceil(plan.train.size / plan.batchSize);
  const testPlan: FitPlan = {
    ...rest,
    epochs: Math.ceil(env.range.steps / stepsPerEpoch),
    schedule: rangeSchedule(env.range, env.reference),
  };
  const points: LrPoint[] = [];
  const smoother = new LossSmoother();
  const stop = new AbortController();
  const forward = (): void => stop.abort();
  env.signal.addEventListener('abort', forward);
  let best = Number.POSITIVE_INFINITY;
  let stopped: 'end' | 'diverged' = 'end';
  const record = (event: TrainingEvent): void => {
    if (event.type !== 'step' || stop.signal.aborted) return;
    const smoothed = smoother.add(event.loss);
    points.push({ lr: rangeLr(env.range, points.length), loss: event.loss, smoothed });
    if (smoothed > DIVERGENCE_FACTOR * best) stopped = 'diverged';
    best = Math.min(best, smoothed);
    if (stopped === 'diverged' || points.length >= env.range.steps) stop.abort();
  };
  try {
    // A checkpoint "due" every step keeps each call to the trainer to one step, so the test stops exactly.
    await fitLoop(model, testPlan, {
      stage: 0,
      rng: env.rng,
      seed: env.seed,
      emit: record,
      signal: stop.signal,
      checkpointEvery: { steps: 1 },
    });
  } catch (error) {
    if (env.signal.aborted) throw interrupted();
    if (error instanceof DivergedError) stopped = 'diverged';
    else if (!(error instanceof InterruptedError)) throw error;
  } finally {
    env.signal.removeEventListener('abort', forward);
  }
  return { points, stopped };
}

function interrupted(): HeadstartError {
  return new HeadstartError('INTERRUPTED', 'interrupted during the lr-find range test; nothing was written');
}

function tooShort(recorded: number, range: LrRangeSettings): HeadstartError {
  return new HeadstartError(
    'BAD_INPUT',
    `lr-find: the loss diverged after ${recorded} of ${range.steps} steps (from lr ${range.startLr}), too early for the ${range.rule} rule to read the curve; start lower or take more steps`,
  );
}

/** The model with a `dispose` that frees it once: the strategy may have disposed it already. */
function disposedOnce(model: Model): Model {
  const dispose = model.dispose.bind(model);
  let disposed = false;
  model.dispose = () => {
    if (disposed) return;
    disposed = true;
    dispose();
  };
  return model;
}
