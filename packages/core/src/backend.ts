import type { Device } from './device.js';
import type { ModelSpec } from './spec/model-spec.js';
import type { NamedTensors } from './tensors.js';

/** Whether a backend can run here, and if not, why. */
export interface Availability {
  available: boolean;
  /**
   * The engine it would use (`tfjs-node`, `wasm`, `cpu`, `onnxruntime-node`), or the engines it
   * chooses between per model (`wasm+cpu`); each {@link Model.engine} says which one runs it.
   */
  engine?: string | undefined;
  /** Why this engine was chosen, or why the backend is unavailable. One line each. */
  reasons: string[];
  /** Free-form facts worth showing in `headstart doctor` (versions, thread counts). */
  details?: Record<string, string | number | boolean> | undefined;
  /**
   * Kinds of {@link Device} it can compute on here (`cpu`, `cuda`, ...), which `headstart doctor`
   * lists and `--device` is checked against. Absent: `cpu` only.
   */
  devices?: string[] | undefined;
}

/** Options for {@link Backend.createModel}. */
export interface CreateModelOptions {
  /** Seed for fresh weights when none are given, and for dropout masks. */
  seed?: number | undefined;
  /**
   * Layers whose parameters start from fresh seeded values although `weights` is given (a new head on
   * a loaded base). Any other parameter missing from `weights` is an error, never filled in silently.
   */
  fresh?: readonly string[] | undefined;
}

/**
 * A model file format a backend imports or exports: its own runtime's (ONNX, a tfjs layers model)
 * or one of its own. The CLI chooses the backend for `import`, `train --from` and `export --format`
 * only from these declarations, so a third-party backend adds a format by declaring it.
 */
export interface ModelFormat {
  /** What `headstart export --format` takes, e.g. `onnx`, `tfjs`. One backend declares each name. */
  name: string;
  /**
   * File name endings with their dot (`.onnx`, `.plain.json`), compared case-insensitively. A file
   * whose name ends in none of any format's endings is recognised by {@link sniff} alone.
   */
  extensions: readonly string[];
  /**
   * When a model in this format may be given as a directory, the file in it that holds the model
   * (tfjs: `model.json`): a directory holding it counts as matching {@link extensions}, and that file
   * is what {@link sniff} sees and what `headstart import` records the hash of.
   */
  directoryEntry?: string | undefined;
  /** Whether {@link Backend.importModel} reads it. */
  import?: boolean | undefined;
  /** Whether {@link Backend.exportModel} writes it, given this `name` as its `format`. */
  export?: boolean | undefined;
  /**
   * Whether a file looks like this format, from its first bytes (up to 4 KiB; fewer for a smaller
   * file): a cheap check of a magic number or a key near the start (an ONNX protobuf's `ir_version`
   * tag, a model.json's `"modelTopology"`). The CLI reads the bytes, so a sniff needs no file
   * system. Used when several formats claim a file's name, or none does; a file it accepts may
   * still fail to import.
   */
  sniff(head: Uint8Array): boolean;
  /**
   * Every file an export to `out` writes (tfjs: `model.json` and its weights file), so that none
   * of them can be an input of the command. Without it, `out` alone.
   */
  exportFiles?(out: string): string[];
  /**
   * The files an import of `file` reads besides it (tfjs: the weight shards its `model.json`
   * names), so that none of them can be the command's output. Without it, `file` alone.
   */
  importFiles?(file: string): Promise<string[]>;
}

/** What an export wrote, for a format with variants, e.g. `graph model; load it with tf.loadGraphModel`. */
export interface ExportedModel {
  /** Follows the format's name in the CLI's `exported … (tfjs graph model; …)` line. */
  description: string;
}

/**
 * A compute backend. Required members build and run models; optional members are capabilities a
 * backend may lack (onnxruntime's `Backend` uses the same pattern).
 */
export interface Backend {
  /** Registry name, e.g. `tfjs`. */
  name: string;
  meta: { version: string; description: string };
  /** Check the backend can run here and choose its engine. Called lazily, once. */
  probe(): Promise<Availability>;
  /**
   * A live model for a spec: fresh seeded weights (core's initializer) when `weights` is undefined;
   * else `weights` must hold every parameter except those of the layers `options.fresh` names
   * (backends check it with `givenWeights` from `@headstart/core/backend-kit`).
   */
  createModel(spec: ModelSpec, weights?: NamedTensors, options?: CreateModelOptions): Promise<Model>;
  /**
   * The file formats {@link importModel} reads and {@link exportModel} writes. A backend with either
   * hook declares them here: the CLI finds importers and exporters only through this list.
   */
  formats?: readonly ModelFormat[] | undefined;
  /**
   * Read a model in a format this backend declares with `import` (ONNX file, tfjs model.json, or the
   * directory holding it) as spec and weights.
   */
  importModel?(file: string): Promise<{ spec: ModelSpec; weights: NamedTensors }>;
  /**
   * Write a model in a format this backend declares with `export` (`format` is its name), loadable
   * without headstart. Returns what was written when the format has variants (tfjs: a graph model).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: the exporters of before (and of plugins) return nothing, which stays valid
  exportModel?(model: Model, format: string, file: string): Promise<ExportedModel | void>;
  /**
   * This backend computing on `device` instead of the CPU: every model it creates runs there, or
   * creating it fails, never falling back to the CPU. Called only for a kind listed in
   * {@link Availability.devices}. Absent: the backend computes on the CPU only.
   */
  onDevice?(device: Device): Backend;
}

/** A parameter of a live model. */
export interface ParameterInfo {
  name: string;
  shape: number[];
  /** Whether gradients can update it at all (batch-norm statistics never are). */
  trainable: boolean;
}

/**
 * A batch of samples, row-major, with labels (class indices), soft labels (class probabilities) or
 * regression targets. This is the target contract a strategy's batch transform writes (mixup mixes
 * one-hot labels into `targets`).
 */
export interface Batch {
  /** `size × product(sampleShape)` inputs (empty for a model with named `inputs`, which reads {@link inputs}). */
  x: Float32Array;
  size: number;
  /**
   * For a spec with named `inputs` (token ids and an attention mask): each input's `size ×
   * product(shape)` values by name, `Int32Array` for an `int32` input, `Float32Array` for a
   * `float32` one. The data loaders that produce them live in `@headstart/data`.
   */
  inputs?: Record<string, Int32Array | Float32Array> | undefined;
  /** Class index per sample, for `softmaxCrossEntropy`. */
  labels?: Int32Array | undefined;
  /**
   * `size × product(outputShape)` targets. For `mse`, regression targets (an autoencoder's target is
   * its input). For `softmaxCrossEntropy`, soft labels: each row a probability distribution over the
   * classes (non-negative, summing to 1), which then replace `labels` in the loss, as PyTorch's
   * `CrossEntropyLoss` with probability targets; `correct` counts samples whose highest output is
   * their target's most probable class.
   */
  targets?: Float32Array | undefined;
  /**
   * `size × classes` logits of a teacher model, for the distillation loss
   * ({@link LossOptions.distillation}). The log of the teacher's predicted probabilities serves too
   * (softmax ignores a shift per row); every value must be finite.
   */
  teacher?: Float32Array | undefined;
  /**
   * `size × tokens` target ids for `tokenCrossEntropy` (masked-language modelling): the vocabulary id
   * a position's output should predict, or `IGNORE_TOKEN` (−100, PyTorch's `ignore_index`) where
   * the position does not count. `maskTokens` (core) makes them with the masked input ids.
   */
  tokenLabels?: Int32Array | undefined;
}

/** What one optimisation step reports. */
export interface StepResult {
  /** Mean loss over the batch, regularisers included. */
  loss: number;
  /** Correctly classified samples in the batch (classification only). */
  correct?: number | undefined;
}

/** What evaluating one batch reports. */
export interface EvalResult {
  /** Summed (not mean) loss over the batch, so batches of different sizes add up. */
  lossSum: number;
  /** Model outputs, `size × outputs` (class probabilities for classifiers). */
  outputs: Float32Array;
}

/** Optimizer and its hyper-parameters. */
export type OptimizerConfig =
  | { type: 'sgd'; momentum?: number | undefined; nesterov?: boolean | undefined }
  | { type: 'adam' | 'adamw'; beta1?: number | undefined; beta2?: number | undefined; epsilon?: number | undefined };

/** A set of parameters sharing a learning rate and weight decay (discriminative learning rates). */
export interface ParameterGroup {
  name: string;
  /** Parameter names in this group. */
  params: string[];
  /** Learning rate before the schedule's factor. */
  lr: number;
  /** Decoupled (AdamW) or L2 (SGD/Adam) weight decay. Default 0. */
  weightDecay?: number | undefined;
}

/**
 * Loss functions a backend must support. `softmaxCrossEntropy` expects the model to end in a softmax
 * activation and computes the loss from the logits before it (numerically stable).
 * `tokenCrossEntropy` is masked-language modelling's: the model outputs `[tokens, vocab]` (a dense
 * per token ending in softmax over the vocabulary) and the loss is the cross-entropy of
 * {@link Batch.tokenLabels} averaged over the positions that count (PyTorch's `cross_entropy` with
 * `ignore_index=-100`, reduction mean); a batch with no such position has loss 0.
 */
export type LossKind = 'softmaxCrossEntropy' | 'mse' | 'tokenCrossEntropy';

/**
 * Options of the `softmaxCrossEntropy` loss, with PyTorch's `CrossEntropyLoss` semantics (see
 * docs/strategies.md). Unknown options are refused.
 */
export interface LossOptions {
  /**
   * ε in [0, 1): the target becomes `(1 − ε)·target + ε/classes` (PyTorch's `label_smoothing`).
   * Default 0.
   */
  labelSmoothing?: number | undefined;
  /**
   * One weight > 0 per class, scaling each class's term of the loss (PyTorch's `weight`). With class
   * index labels the batch loss is the weighted mean `Σ w_y·loss / Σ w_y`; with soft labels the plain
   * mean over samples, as PyTorch reduces them.
   */
  classWeights?: readonly number[] | undefined;
  /**
   * Knowledge distillation (Hinton et al.) from {@link Batch.teacher}: the loss is
   * `alpha·T²·KL(softmax(teacher/T) ‖ softmax(logits/T))` (mean over samples) plus `(1 − alpha)·`
   * the cross-entropy above. Every training batch must carry teacher logits. `Trainer.evaluate`
   * reports the cross-entropy alone: validation measures the model against the labels.
   */
  distillation?: { temperature: number; alpha: number } | undefined;
}

/** How a {@link Model.trainer} should train. */
export interface TrainerOptions {
  /** Parameters to update. Everything else stays bit-identical. */
  trainable: string[];
  /** Learning rate groups; every trainable parameter in exactly one. */
  groups: ParameterGroup[];
  optimizer: OptimizerConfig;
  loss: LossKind;
  /** Options of the cross-entropy loss: label smoothing, class weights, distillation. */
  lossOptions?: LossOptions | undefined;
  /**
   * Batch-norm layers whose statistics are frozen (inference mode while training), by layer name.
   * A batch-norm layer none of whose parameters is trainable is frozen whatever this says.
   */
  frozenBatchNorm?: string[] | undefined;
  /** L2-SP: pull parameters towards `reference` with this weight (`weight/2 · ‖w − w₀‖²`). */
  l2sp?: { weight: number; reference: NamedTensors } | undefined;
  /** Seed for dropout masks. */
  seed?: number | undefined;
}

/** Options of one {@link Trainer.step}. */
export interface StepOptions {
  /**
   * Factor on every group's learning rate for this step, the value of the LR schedule (warm-up,
   * cosine decay) at it; ≥ 0. Default 1: the groups' rates as given.
   */
  lrScale?: number | undefined;
}

/** Trains one model; obtained from {@link Model.trainer}. */
export interface Trainer {
  /**
   * One optimisation step on `batch`: `trainer.step(batch)` at the groups' learning rates, or
   * `trainer.step(batch, { lrScale: 0.5 })` at half of them. A bare number in place of `options`
   * is the deprecated positional form of `lrScale` (`step(batch, 1)`); core's loop still passes it,
   * so a backend must accept both — backend-kit's `stepLrScale` reads either.
   */
  step(batch: Batch, options?: StepOptions | number): Promise<StepResult>;
  /**
   * Optional: several steps in one call, `lrScales[i]` for `batches[i]`, for backends whose fixed
   * cost per call dominates small steps (onnx runs them in one session run). Must leave weights,
   * optimizer state and dropout draws exactly as {@link step} on each batch in turn would, and
   * return the same results in order. Core's fit loop calls it only for short runs of steps (about
   * 20 ms, never across an epoch end or a due checkpoint) and uses `step` when it is absent.
   */
  stepMany?(batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]>;
  /** Loss and outputs without updating anything (inference mode). */
  evaluate(batch: Batch): Promise<EvalResult>;
  /** Optimizer state as tensors named `optim.<slot>.<param>`, plus `optim.step`. */
  getState(): Promise<NamedTensors>;
  /** Restore what {@link getState} returned. */
  setState(state: NamedTensors): Promise<void>;
  dispose(): void;
}

/** A live model on a backend. */
export interface Model {
  readonly spec: ModelSpec;
  /** The backend and engine running it, e.g. `tfjs/cpu`. */
  readonly engine: string;
  parameters(): ParameterInfo[];
  /** All weights (batch-norm statistics included), in canonical layouts. */
  getWeights(): Promise<NamedTensors>;
  /** Replace some or all weights; shapes must match. */
  setWeights(weights: NamedTensors): Promise<void>;
  /** Outputs for `size` samples (class probabilities for a classifier ending in softmax). */
  predict(x: Float32Array, size: number): Promise<Float32Array>;
  /**
   * {@link predict} for a spec with named `inputs` (token ids and an attention mask): each input's
   * `size × product(shape)` values by name, as {@link Batch.inputs} holds them. Optional: a backend
   * without it trains such models but cannot predict with them (core says so in one line).
   */
  predictInputs?(inputs: Record<string, Int32Array | Float32Array>, size: number): Promise<Float32Array>;
  trainer(options: TrainerOptions): Trainer;
  /**
   * The shape of one sample its trainer's batches hold, when not `spec.inputShape`: a frozen stack
   * predicts from raw inputs but trains its upper part on the lower part's features.
   */
  readonly trainingInputShape?: readonly number[] | undefined;
  dispose(): void;
}
