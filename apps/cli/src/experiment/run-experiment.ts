import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type CheckpointInterval,
  defaultModelSpecFor,
  evaluateClassifier,
  getRegistry,
  isTokenDataset,
  resumePath,
  runStrategy,
  type Backend,
  type BatchTransform,
  type EventSink,
  type StartingPoint,
  type TrainingData,
  type TrainingEvent,
} from '@headstart/core';
import { maskedLmEncoder } from '@headstart/strategies';
import { augmentationFor } from '../augment-option.js';
import { CliError } from '../cli-error.js';
import { loadStartingPoint } from '../start-point.js';
import { type Experiment, type ExperimentArm, MASKED_LM_SOURCE, type RunResult } from './experiment.js';
import { keptCurve } from './run-curve.js';
import { labelled, loadExperimentData, seedData, type SeedData } from './splits.js';

/** Where the experiment runs and reports. */
export interface ExperimentEnv {
  backend: Backend;
  engine: string;
  /** Checkpoints go to `<out>/checkpoints`. */
  out: string;
  emit: EventSink;
  signal: AbortSignal;
  /** Called after each run, for progress. */
  onResult?(result: RunResult, done: number, total: number): void;
  /** Periodic resumable checkpoints (default: runStrategy's). */
  checkpointEvery?: CheckpointInterval | undefined;
  /**
   * Continue a run from the resumable checkpoint an interrupted attempt left (a worker taking over
   * a lost worker's run); without it every run starts over, as a local `compare` does.
   */
  continueInterrupted?: boolean | undefined;
}

/** Run every arm at every budget and seed; the source model is pre-trained once per seed. */
export async function runExperiment(e: Experiment, env: ExperimentEnv): Promise<RunResult[]> {
  const loaded = await loadExperimentData(e);
  if (loaded.repeatsDropped)
    env.emit({
      type: 'log',
      level: 'info',
      message: `${basename(e.data)}: ${loaded.repeatsDropped} sequences repeat an earlier one's tokens and were left out, so none is both tested and trained on`,
    });
  // An augmentation the data's samples cannot take is refused before anything trains.
  for (const arm of e.arms) augmentation(arm, loaded.target);
  const results: RunResult[] = [];
  const total = e.seeds.length * e.target.budgets.length * e.arms.length;
  const model = e.source.model ? await loadStartingPoint(e.source.model) : undefined;
  for (const seed of e.seeds) {
    const data = seedData(e, loaded, seed);
    const source = model ?? (await pretrain(e, data, seed, env));
    for (const budget of e.target.budgets) {
      for (const arm of e.arms) {
        const result = await runArm(arm, data, budget, seed, arm.from === 'source' ? source : undefined, env);
        results.push(result);
        env.onResult?.(result, results.length, total);
      }
    }
  }
  return results;
}

/**
 * Pre-train the source model of one seed into `<out>/checkpoints/source-s<seed>.safetensors`: on the
 * labelled source classes (a registered strategy), or, for {@link MASKED_LM_SOURCE}, on the seed's
 * unlabelled pool, the target's labels naming only the classes its untrained head will have.
 */
export async function pretrain(e: Experiment, data: SeedData, seed: number, env: ExperimentEnv): Promise<StartingPoint> {
  const unlabelled = e.source.strategy === MASKED_LM_SOURCE ? maskedLmEncoder : undefined;
  const train = unlabelled ? data.pool : data.source;
  if (!train) throw new Error('pretrain needs source data');
  const out = sourceCheckpoint(env.out, seed);
  const outcome = await runStrategy({
    strategy: unlabelled ? unlabelled() : await getRegistry().get('strategy', e.source.strategy),
    options: e.source.options,
    backend: env.backend,
    engine: env.engine,
    data: unlabelled ? { train, unlabeled: data.unlabeled } : { train },
    preprocessing: data.preprocessing,
    spec: defaultModelSpecFor(train),
    seed,
    out,
    ...restartOrResume(out, env),
    emit: env.emit,
    signal: env.signal,
  });
  const { model, labels } = outcome.result;
  const start: StartingPoint = {
    file: out,
    spec: model.spec,
    weights: await model.getWeights(),
    labels,
    preprocessing: data.preprocessing,
    sha256: outcome.checkpoint.sha256,
    provenance: outcome.provenance,
  };
  model.dispose();
  return start;
}

/** The arm's augmentation (read-experiment checked its text), for the images of `train`. */
function augmentation(arm: ExperimentArm, train: TrainingData): { augment?: BatchTransform } {
  if (arm.augment === undefined) return {};
  if (isTokenDataset(train)) throw new CliError(`strategies "${arm.name}": augment: image augmentation applies to images, not text`);
  const augment = augmentationFor(arm.augment, train.sampleShape, `strategies "${arm.name}": augment`);
  return augment ? { augment } : {};
}

/** Train and evaluate one arm at one budget and seed. */
export async function runArm(
  arm: ExperimentArm,
  data: SeedData,
  budget: number,
  seed: number,
  from: StartingPoint | undefined,
  env: ExperimentEnv,
): Promise<RunResult> {
  const train = labelled(data, budget, seed);
  const checkpoint = join(env.out, 'checkpoints', `${arm.name}-b${budget}-s${seed}.safetensors`);
  const how = restartOrResume(checkpoint, env);
  const kept = await keptCurve(checkpoint, { resume: how.resume, keep: env.continueInterrupted === true });
  const emit = (event: TrainingEvent): void => {
    kept.see(event);
    env.emit(event);
  };
  const started = Date.now();
  const outcome = await runStrategy({
    strategy: await getRegistry().get('strategy', arm.strategy),
    options: arm.options,
    backend: env.backend,
    engine: env.engine,
    data: { train, unlabeled: data.unlabeled, ...augmentation(arm, train) },
    preprocessing: data.preprocessing,
    ...(from ? { from } : {}),
    spec: from?.spec ?? defaultModelSpecFor(train),
    seed,
    out: checkpoint,
    ...how,
    emit,
    signal: env.signal,
  });
  const seconds = (Date.now() - started) / 1000;
  await kept.done();
  const evaluation = await evaluateClassifier(outcome.result.model, data.test, outcome.result.labels);
  outcome.result.model.dispose();
  return {
    arm: arm.name,
    strategy: arm.strategy,
    budget,
    seed,
    accuracy: evaluation.accuracy,
    loss: evaluation.loss,
    seconds,
    curve: kept.curve,
    checkpoint,
    provenance: outcome.provenance.map((p) => p.strategy),
  };
}

/** Where the source model of `seed` is saved under `out`. */
export function sourceCheckpoint(out: string, seed: number): string {
  return join(out, 'checkpoints', `source-s${seed}.safetensors`);
}

/**
 * An experiment reruns every arm from the start (a checkpoint an interrupted one left is its own),
 * unless `env` continues interrupted runs and this one left a resumable checkpoint.
 */
function restartOrResume(out: string, env: ExperimentEnv): { resume: boolean; startOver: boolean; checkpointEvery?: CheckpointInterval } {
  const resume = env.continueInterrupted === true && existsSync(resumePath(out));
  if (resume) env.emit({ type: 'log', level: 'info', message: `continuing ${out} from its resumable checkpoint` });
  return { resume, startOver: !resume, ...(env.checkpointEvery ? { checkpointEvery: env.checkpointEvery } : {}) };
}
