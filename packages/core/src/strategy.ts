import type { z } from 'zod';
import type { Backend, Model } from './backend.js';
import type { AdapterRecord, CheckpointManifest, Preprocessing, ProvenanceEntry, TrainingState } from './checkpoint/manifest.js';
import type { Label } from './data/dataset.js';
import type { TokenDataset } from './data/token-dataset.js';
import type { TrainingData } from './data/training-data.js';
import type { Rng } from './rng.js';
import type { ModelSpec } from './spec/model-spec.js';
import type { NamedTensors } from './tensors.js';
import type { BatchTransform } from './train/batch-transform.js';
import type { EpochMetrics, EventSink } from './train/events.js';
import type { FitPlan, FitResult } from './train/fit-plan.js';

/** Where a strategy starts from: a checkpoint or an imported model. */
export interface StartingPoint {
  spec: ModelSpec;
  weights: NamedTensors;
  labels?: Label[] | undefined;
  preprocessing?: Preprocessing | undefined;
  /** The manifest, when the start is a headstart checkpoint. */
  manifest?: CheckpointManifest | undefined;
  /** sha-256 of the file, recorded as the parent in provenance. */
  sha256?: string | undefined;
  /** Its history, when it is not read from a file (a model trained earlier in this process). */
  provenance?: ProvenanceEntry[] | undefined;
  /** Path as given. */
  file: string;
}

/** The data splits a strategy receives, already preprocessed. */
export interface StrategyData {
  /** Labelled training data: features, or token sequences ({@link TokenDataset}, `kind: 'tokens'`). */
  train: TrainingData;
  /** Labelled validation data, for early stopping and reported metrics; of the same kind as `train`. */
  val?: TrainingData | undefined;
  /** Unlabelled data for unsupervised pre-training (`--unlabeled`): features, or token sequences for `objective=mlm`. */
  unlabeled?: TrainingData | undefined;
  /**
   * Data augmentation (`--augment`): core applies it to the training batches of every phase that
   * trains on samples of `train`'s shape, before the phase's own {@link FitPlan.transform}, and
   * refuses a phase that trains on other samples (features cached from a frozen base).
   */
  augment?: BatchTransform | undefined;
}

/** Everything a strategy's `run` may use. Built by core's runner; strategies never construct it. */
export interface StrategyContext {
  backend: Backend;
  data: StrategyData;
  /** `--from`: the checkpoint or imported model to start from. */
  from?: StartingPoint | undefined;
  /** `--model`: an explicit architecture, or core's default for the data when neither this nor `from` is given. */
  spec: ModelSpec;
  /** Seed of this run; `rng` is seeded from it (and restored on resume). */
  seed: number;
  rng: Rng;
  /** Where to continue from on `--resume`, if the run was cut short. */
  resume?: { state: TrainingState; weights: NamedTensors } | undefined;
  /**
   * Train a model with core's loop, wired to this run's events, checkpoints, abort signal and resume
   * state. Multi-phase strategies call it once per phase with a distinct `phase` name.
   */
  fit(model: Model, plan: FitPlan): Promise<FitResult>;
  /**
   * A live model on this run's backend: with `weights`, or fresh seeded weights. On `--resume` the
   * first model asked for with the checkpoint's spec gets the saved weights instead, so a strategy
   * resumes without special cases (it skips phases that finished, see `resume.state.phase`).
   */
  createModel(spec: ModelSpec, weights?: NamedTensors): Promise<Model>;
  emit: EventSink;
  signal: AbortSignal;
  /** `--dry-run`: `fit` only reports its plan; skip expensive preparation (feature caching) too. */
  dryRun: boolean;
}

/** What a strategy hands back: the trained model and the label map of its outputs. */
export interface StrategyResult {
  model: Model;
  labels: Label[];
  metrics: EpochMetrics;
  /** Parameter names trained in the last phase (for provenance and `inspect`). */
  trainable: string[];
  /**
   * Options the strategy chose itself because they were not given, from the data (e.g. more epochs
   * on a tiny set): recorded in provenance as `defaults`, so nothing depends on the data silently.
   */
  defaults?: Record<string, unknown> | undefined;
  /**
   * Save an adapter-only checkpoint (LoRA): only the parameters in `saved`, and a manifest naming
   * the base (`ctx.from`, which must be a checkpoint) by sha-256 with the adapter's settings.
   */
  adapter?: { saved: string[]; record: Omit<AdapterRecord, 'base'> } | undefined;
}

/**
 * A training strategy plugin: a plain object from a factory (Vite's plugin shape).
 * @typeParam Options - the parsed options type of `options`.
 */
export interface Strategy<Options extends Record<string, unknown> = Record<string, unknown>> {
  /** Registry name, e.g. `full-retrain`. */
  name: string;
  meta: { version: string; description: string };
  /** Options with defaults a practitioner would pick; `--set key=value` and flags are parsed by it. */
  options: z.ZodType<Options>;
  /** Whether `ctx.from` is required (`frozen-base`, `continued`), optional, or ignored. */
  needsStart?: 'required' | 'optional' | 'never' | undefined;
  /**
   * Whether `run` reads `ctx.data.unlabeled` (`pretrain-finetune`). `headstart train` refuses
   * `--unlabeled` for a strategy that does not say so, rather than ignore the file. Default false.
   */
  usesUnlabeled?: boolean | undefined;
  /** Train and return the model. May run several phases through `ctx.fit`. */
  run(ctx: StrategyContext, options: Options): Promise<StrategyResult>;
}

/**
 * A strategy whatever the type of its options: where strategies of every kind meet (the registry,
 * the runners), each parses its own options with its schema.
 */
// biome-ignore lint/suspicious/noExplicitAny: the options' type is erased here on purpose; Strategy<unknown> would not accept a Strategy<{ lr: number }>
export type AnyStrategy = Strategy<any>;
