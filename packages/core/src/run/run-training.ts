import { rm } from 'node:fs/promises';
import type { Backend } from '../backend.js';
import { baseRecordFor, readCheckpoint, writeCheckpoint, type CheckpointContent } from '../checkpoint/index.js';
import type { AdapterRecord, Preprocessing, ProvenanceEntry } from '../checkpoint/manifest.js';
import { HeadstartError, PluginError } from '../errors.js';
import { createRng } from '../rng.js';
import type { ModelSpec } from '../spec/model-spec.js';
import type { AnyStrategy, StartingPoint, StrategyContext, StrategyData, StrategyResult } from '../strategy.js';
import type { NamedTensors } from '../tensors.js';
import { withAugmentation } from './augmented-plan.js';
import type { EventSink } from '../train/events.js';
import { DivergedError, fitLoop, InterruptedError, type CheckpointInterval, type FitEnv, type FitSnapshot } from '../train/fit.js';
import { removeStaleTempsOnce } from '../io/safe-write.js';
import { lockOutput } from './output-lock.js';
import { isTokenDataset } from '../data/token-dataset.js';
import { trainingDigest } from '../data/training-data.js';
import { checkSameRun } from './resume-check.js';
import { checkSeveralClasses } from './class-count.js';
import { resumeHandoff } from './resume-handoff.js';
import { AUTO_LR, checkOptions } from '../strategy-options.js';
import { chooseAutoLr } from './lr-auto.js';
import { planOnly } from './plan-only.js';
import { resumePath } from './resume-path.js';
import { checkResumeSlot } from './resume-slot.js';
import { checkTrainingOutput } from './training-output.js';
import { createRunModel } from './create-model.js';

/**
 * What every training run needs: the strategy and its options, the backend, the data, the start.
 * {@link trainInMemory} runs it as is; {@link TrainingRun} adds the output file.
 */
export interface TrainingJob {
  strategy: AnyStrategy;
  /** Raw options (flags and `--set`), parsed by the strategy's schema. */
  options: Record<string, unknown>;
  backend: Backend;
  /** Engine the backend chose, for events and provenance. */
  engine: string;
  /** Device the backend computes on (`cpu`, `cuda:1`), for provenance. */
  device?: string | undefined;
  /** Data, already preprocessed with `preprocessing`. */
  data: StrategyData;
  preprocessing: Preprocessing;
  from?: StartingPoint | undefined;
  spec: ModelSpec;
  seed: number;
  stage?: number | undefined;
  emit: EventSink;
  signal: AbortSignal;
}

/** One training run of one strategy, as `headstart train` or a pipeline stage asks for it. */
export interface TrainingRun extends TrainingJob {
  /** Final checkpoint path. */
  out: string;
  /** How messages name `out` (`--out`); default `output`. */
  outLabel?: string | undefined;
  /** Continue from the resumable checkpoint beside `out`. */
  resume?: boolean | undefined;
  /**
   * Replace a resumable checkpoint an interrupted run left beside `out` (for callers that always
   * rerun from the start); without it, or `resume`, such a checkpoint is refused, not discarded.
   */
  startOver?: boolean | undefined;
  /** Emit each phase's plan (what trains, at what rate) instead of training; write nothing. */
  dryRun?: boolean | undefined;
  /** Periodic resumable checkpoints mid-epoch. Default every 60 seconds (and always at epoch ends). */
  checkpointEvery?: CheckpointInterval | undefined;
}

/** A run either writes `out` ({@link TrainingRun}) or keeps its model in memory (a {@link TrainingJob} alone). */
type AnyRun = TrainingJob & Partial<Omit<TrainingRun, keyof TrainingJob>>;

/** The manifest of a trained model: what its checkpoint holds besides the weights. */
export type TrainedManifest = CheckpointContent['manifest'];

/** What a finished run produced. */
export interface TrainingOutcome {
  result: StrategyResult;
  checkpoint: { file: string; sha256: string };
  provenance: ProvenanceEntry[];
}

/** What {@link trainInMemory} produced: the trained model (in `result`) and the manifest its checkpoint will hold. */
export interface TrainedInMemory {
  result: StrategyResult;
  provenance: ProvenanceEntry[];
  /** Spec, labels, feature names, preprocessing, training state and provenance, as {@link runStrategy} writes them. */
  manifest: TrainedManifest;
}

/** Default {@link TrainingRun.checkpointEvery}: a killed run loses at most a minute of training. */
const DEFAULT_CHECKPOINT_EVERY: CheckpointInterval = { seconds: 60 };

/**
 * Run a strategy with core's machinery around it: parse its options, build its context, write
 * resumable checkpoints while it trains and the final checkpoint (with provenance) when it ends.
 * The output path is locked for the run, so a second run writing it is refused; the output rule
 * ({@link checkTrainingOutput}) holds for it, and an interrupted run's checkpoint is never discarded
 * without `resume` or `startOver`. Training data of a single class is refused before anything runs.
 * {@link trainInMemory} is the same run without the file.
 */
export async function runStrategy(run: TrainingRun): Promise<TrainingOutcome> {
  const options = parseOptions(run.strategy, run.options);
  checkSeveralClasses(run.data.train);
  if (run.dryRun) return train(run, options);
  const out = { flag: run.outLabel ?? 'output', path: run.out };
  const intent = { resume: run.resume === true, startOver: run.startOver === true };
  await checkTrainingOutput(out, intent);
  const unlock = await lockOutput(run.out, (message) => run.emit({ type: 'log', level: 'warn', message }));
  try {
    // Again under the lock: the resume checkpoint is this run's to judge only once no other run writes it.
    await checkResumeSlot(out, intent);
    // What a run killed mid-write left (its temporaries) goes now, even if this run never rewrites that file.
    await Promise.all([removeStaleTempsOnce(run.out), removeStaleTempsOnce(resumePath(run.out))]);
    return await train(run, options);
  } finally {
    await unlock().catch(() => undefined);
  }
}

/**
 * @deprecated Renamed {@link runStrategy}: it runs a strategy, phases and final checkpoint
 * included. Same function, kept so code written against the old name still works.
 */
export const runTraining: typeof runStrategy = runStrategy;

/**
 * {@link runStrategy} without an output file: the same option parsing, context, training loop,
 * provenance and manifest, but nothing is written — no lock, no resumable checkpoints (an
 * interrupted run is lost: the `signal` ends it with an `INTERRUPTED` error). The caller saves
 * `manifest` with the model's weights (`writeCheckpoint`) when it wants the file, which then
 * holds what `runStrategy` would have written.
 */
export async function trainInMemory(job: TrainingJob): Promise<TrainedInMemory> {
  const options = parseOptions(job.strategy, job.options);
  checkSeveralClasses(job.data.train);
  const run: AnyRun = job;
  try {
    const { result, provenance, manifest } = await train(run, options);
    return { result, provenance, manifest: manifest! };
  } catch (error) {
    // The loop's own message promises a resumable checkpoint; in memory there is none.
    if (error instanceof InterruptedError)
      throw new HeadstartError('INTERRUPTED', 'interrupted; the model was kept in memory only, so nothing was saved');
    throw error;
  }
}

async function train(run: AnyRun, parsed: Record<string, unknown>): Promise<TrainingOutcome & { manifest?: TrainedManifest | undefined }> {
  const stage = run.stage ?? 0;
  const resume = run.resume && run.out ? await loadResume(run.out) : undefined;
  // `lr: auto`: a range test chooses the rate first; the strategy trains at it as if it had been given.
  const auto = parsed.lr === AUTO_LR ? await chooseAutoLr(run, parseOptions(run.strategy, withoutLr(run.options)), resume) : undefined;
  const options = auto ? { ...parsed, lr: auto.lr } : parsed;
  const entry: ProvenanceEntry = {
    strategy: run.strategy.name,
    strategyVersion: run.strategy.meta.version,
    options,
    ...(auto?.record ? { lrFind: auto.record } : {}),
    data: run.data.train.source,
    backend: run.backend.name,
    engine: run.engine,
    ...(run.device ? { device: run.device } : {}),
    ...(run.from?.sha256 ? { parent: run.from.sha256 } : {}),
    ...(run.data.augment ? { augment: run.data.augment.name } : {}),
    startedAt: new Date().toISOString(),
  };
  const history = run.from?.manifest?.provenance ?? run.from?.provenance ?? [];
  const dataDigest = trainingDigest(run.data.train);
  const unlabeledDigest = run.data.unlabeled ? trainingDigest(run.data.unlabeled) : null;
  const digests = { dataDigest, unlabeledDigest };
  if (resume)
    checkSameRun(resume, { entry, seed: run.seed, labels: run.data.train.labelMap, preprocessing: run.preprocessing, ...digests });
  const rng = createRng(run.seed);
  const done = { epoch: 0, step: 0 };
  const env: FitEnv = {
    stage,
    rng,
    seed: run.seed,
    emit: run.emit,
    signal: run.signal,
    resume: resume ? { state: resume.manifest.training!, optimizer: resume.optimizer } : undefined,
    ...(run.out ? resumableSaves(run as TrainingRun, { seed: run.seed, ...digests }, [...history, entry]) : {}),
  };
  // A resumed run continues the model it was training: the first one asked for with the spec the
  // checkpoint holds gets its weights; models of later phases start from what the strategy passes.
  const handoff = resumeHandoff(resume);
  const ctx: StrategyContext = {
    backend: run.backend,
    data: run.data,
    from: run.from,
    spec: run.spec,
    seed: run.seed,
    rng,
    resume: resume ? { state: resume.manifest.training!, weights: resume.weights } : undefined,
    createModel: (spec, weights) => createRunModel(run.backend, spec, handoff.take(spec) ?? weights, run.seed, rng, run.emit),
    fit: async (model, asked) => {
      const plan = withAugmentation(asked, run.data);
      if (run.dryRun) return planOnly(model, plan, stage, run.emit);
      handoff.checkPhase(plan.phase, model.spec);
      const result = await fitLoop(model, plan, env);
      Object.assign(done, { epoch: result.epochs, step: done.step + result.steps });
      return result;
    },
    emit: run.emit,
    signal: run.signal,
    dryRun: run.dryRun === true,
  };
  run.emit({
    type: 'run-start',
    strategy: run.strategy.name,
    backend: run.backend.name,
    engine: run.engine,
    samples: run.data.train.size,
    epochs: Number(options.epochs ?? 0),
  });
  const started = Date.now();
  const result = await callStrategy(run.strategy, ctx, options);
  if (run.dryRun) return { result, checkpoint: { file: '', sha256: '' }, provenance: [...history, entry] };
  entry.finishedAt = new Date().toISOString();
  entry.metrics = numericMetrics(result.metrics);
  if (result.defaults) entry.defaults = result.defaults;
  const provenance = [...history, entry];
  // In memory there is no file to name as the base, so the model keeps every weight and no adapter record.
  const adapter = run.out && result.adapter ? result.adapter : undefined;
  const manifest = finalManifest(run, result, provenance, { stage, rng: rng.state(), ...done }, adapter);
  const all = finiteWeights(await result.model.getWeights());
  const weights = adapter ? new Map([...all].filter(([name]) => adapter.saved.includes(name))) : all;
  const checkpoint = run.out ? await saveFinal(run.out, manifest, weights, run.emit) : { file: '', sha256: '' };
  run.emit({ type: 'run-end', metrics: result.metrics, seconds: (Date.now() - started) / 1000 });
  return { result, checkpoint, provenance, manifest };
}

/** The resumable checkpoints a run with an output file writes beside it while it trains. */
function resumableSaves(
  run: TrainingRun,
  state: { seed: number; dataDigest: string; unlabeledDigest: string | null },
  provenance: ProvenanceEntry[],
): Pick<FitEnv, 'save' | 'checkpointEvery'> {
  return {
    checkpointEvery: run.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    save: (snapshot) => saveSnapshot(run, { ...snapshot, state: { ...snapshot.state, ...state } }, provenance),
  };
}

function withoutLr(options: Record<string, unknown>): Record<string, unknown> {
  const { lr: _lr, ...rest } = options;
  return rest;
}

function parseOptions(strategy: AnyStrategy, raw: Record<string, unknown>): Record<string, unknown> {
  const checked = checkOptions(strategy.options, raw);
  if (checked.ok) return checked.options;
  throw new HeadstartError('USAGE', `strategy ${strategy.name}: ${checked.field ? `option ${checked.field}: ` : ''}${checked.problem}`);
}

async function callStrategy(strategy: AnyStrategy, ctx: StrategyContext, options: Record<string, unknown>): Promise<StrategyResult> {
  try {
    return await strategy.run(ctx, options);
  } catch (error) {
    if (error instanceof HeadstartError) throw error;
    throw new PluginError(`strategy:${strategy.name}`, 'run', error);
  }
}

async function loadResume(out: string) {
  const file = resumePath(out);
  const checkpoint = await readCheckpoint(file).catch((error: unknown) => {
    if (error instanceof HeadstartError && /no such file/.test(error.message)) {
      throw new HeadstartError(
        'USAGE',
        `--resume: no resumable checkpoint at ${file} (it is written while a run trains and removed when it finishes)`,
      );
    }
    throw error;
  });
  if (!checkpoint.manifest.training || checkpoint.manifest.training.complete) {
    throw new HeadstartError('USAGE', `--resume: ${file} holds no unfinished training state`);
  }
  return checkpoint;
}

async function saveSnapshot(run: TrainingRun, snapshot: FitSnapshot, provenance: ProvenanceEntry[]): Promise<void> {
  const file = resumePath(run.out);
  const weights = finiteWeights(await snapshot.model.getWeights());
  await writeCheckpoint(file, {
    manifest: {
      spec: snapshot.model.spec,
      labels: run.data.train.labelMap,
      ...featureNames(run),
      preprocessing: run.preprocessing,
      ...tokenizerOf(run),
      training: snapshot.state,
      provenance,
    },
    weights,
    optimizer: new Map([...(await snapshot.trainer.getState()), ...snapshot.tensors]),
  });
  run.emit({
    type: 'checkpoint',
    file,
    stage: snapshot.state.stage,
    epoch: snapshot.state.epoch,
    step: snapshot.state.step,
    complete: false,
  });
}

/** The manifest of a finished run's checkpoint. */
function finalManifest(
  run: AnyRun,
  result: StrategyResult,
  provenance: ProvenanceEntry[],
  at: { stage: number; rng: number[]; epoch: number; step: number },
  adapterResult: StrategyResult['adapter'],
): TrainedManifest {
  const adapter = adapterResult && adapterOf(run, adapterResult);
  return {
    spec: result.model.spec,
    labels: result.labels,
    ...featureNames(run),
    preprocessing: run.preprocessing,
    ...tokenizerOf(run),
    training: { ...at, cursor: 0, seed: run.seed, complete: true, trainable: result.trainable },
    provenance,
    ...(adapter ? { adapter } : {}),
  };
}

/** Write the final checkpoint to `out` and drop the resumable one beside it. */
async function saveFinal(
  out: string,
  manifest: TrainedManifest,
  weights: NamedTensors,
  emit: EventSink,
): Promise<{ file: string; sha256: string }> {
  const { sha256 } = await writeCheckpoint(out, { manifest, weights });
  await rm(resumePath(out), { force: true });
  const { stage, epoch, step } = manifest.training!;
  emit({ type: 'checkpoint', file: out, stage, epoch, step, complete: true });
  return { file: out, sha256 };
}

/** The adapter record of an adapter-only checkpoint: the strategy's settings and the base it started from. */
function adapterOf(run: AnyRun, adapter: NonNullable<StrategyResult['adapter']>): AdapterRecord {
  if (run.from?.sha256 === undefined)
    throw new HeadstartError(
      'USAGE',
      `strategy ${run.strategy.name}: an adapter names its base by sha-256: --from must be a headstart checkpoint`,
    );
  return { ...adapter.record, base: { file: run.out ? baseRecordFor(run.out, run.from.file) : run.from.file, sha256: run.from.sha256 } };
}

/** Weights fit to save. @throws DivergedError naming the first parameter with a NaN or infinite value. */
function finiteWeights(weights: NamedTensors): NamedTensors {
  for (const [name, tensor] of weights) {
    const bad = tensor.data.find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new DivergedError(`parameter ${name} holds ${bad}`);
  }
  return weights;
}

function featureNames(run: TrainingJob): { featureNames?: string[] | undefined } {
  const train = run.data.train;
  if (isTokenDataset(train)) return {};
  return train.featureNames ? { featureNames: train.featureNames } : {};
}

/** The tokenizer of text training data, so the checkpoint can turn raw text into the ids it was trained on. */
function tokenizerOf(run: TrainingJob): Pick<TrainedManifest, 'tokenizer'> {
  const train = run.data.train;
  return isTokenDataset(train) ? { tokenizer: train.tokenizer } : {};
}

function numericMetrics(metrics: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
  );
}
