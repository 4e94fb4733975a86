import type { EpochMetrics } from '../train/events.js';
import type { Label } from '../data/dataset.js';
import type { ModelSpec } from '../spec/model-spec.js';

/** Current checkpoint format version. Readers refuse newer major versions. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Preprocessing fitted on training data, stored so evaluate/predict apply it again. */
export type Preprocessing =
  | { kind: 'none' }
  /** Divide every feature by `factor` (e.g. 16 for the digits' 0..16 pixel counts). */
  | { kind: 'scale'; factor: number }
  /** Subtract the per-feature mean and divide by the per-feature standard deviation. */
  | { kind: 'standardize'; mean: number[]; std: number[] };

/**
 * The tokenizer text went through before training, stored in a checkpoint beside
 * {@link Preprocessing} (whose `kind` stays `none` for token inputs), so `predict` on raw text
 * tokenises it the same way. `json` is the Hugging Face `tokenizer.json` text itself, `sha256`
 * the hash of its UTF-8 bytes (checked when a checkpoint is read).
 */
export interface TokenizerPreprocessing {
  kind: 'tokenizer';
  /** sha-256 (hex) of `json`'s UTF-8 bytes. */
  sha256: string;
  /** Tokens a sequence, special tokens included: longer text is truncated, shorter padded. */
  maxLength: number;
  /** Id of the padding token (positions where the attention mask is 0). */
  padId: number;
  /** Largest token id + 1: the rows a token embedding needs. */
  vocabSize: number;
  /** Column (CSV) or field (JSONL) the text was read from. */
  textColumn: string;
  /** The `tokenizer.json` text. */
  json: string;
}

/** Where a run stands, so `--resume` continues exactly. */
export interface TrainingState {
  /** Pipeline stage index (0 for a single `train`). */
  stage: number;
  /** Stage-internal phase for multi-phase strategies (e.g. `probe`, `finetune`). */
  phase?: string | undefined;
  /** Completed epochs in this phase. */
  epoch: number;
  /** Completed optimisation steps in this phase. */
  step: number;
  /** Batches already consumed in the current epoch. */
  cursor: number;
  /**
   * RNG state at the start of the current epoch (the epoch's batch order is drawn from it again on
   * resume, then `cursor` batches are skipped); in a final checkpoint, the state at the end.
   */
  rng: number[];
  /** Summed loss, correct predictions and samples seen so far in the current epoch. */
  totals?: { loss: number; correct: number; seen: number } | undefined;
  /** Metrics of the phase's finished epochs (learning curves survive a resume). */
  history?: EpochMetrics[] | undefined;
  /** The run's seed; `--resume` refuses a checkpoint written with another. */
  seed?: number | undefined;
  /** sha-256 of the training samples as they train (after filtering, splits, preprocessing); checked by `--resume`. */
  dataDigest?: string | undefined;
  /**
   * sha-256 of the unlabelled samples (`--unlabeled`) as they train, or null for a run without them; checked by
   * `--resume`. Absent in checkpoints written before it was recorded, which are not checked.
   */
  unlabeledDigest?: string | null | undefined;
  /** Whether the stage finished (a final checkpoint) or was cut short (resumable). */
  complete: boolean;
  /** Best validation metric so far and epochs without improvement, for early stopping. */
  earlyStopping?: { best: number; bestEpoch: number; wait: number; metrics?: EpochMetrics | undefined } | undefined;
  /** Trainable parameter names at this point. */
  trainable?: string[] | undefined;
}

/** One training stage in a checkpoint's history. */
export interface ProvenanceEntry {
  strategy: string;
  strategyVersion?: string | undefined;
  options: Record<string, unknown>;
  /** Options the strategy resolved from the data because they were not given (see `StrategyResult.defaults`). */
  defaults?: Record<string, unknown> | undefined;
  data?: { file: string; sha256?: string | undefined; format: string } | undefined;
  backend: string;
  engine?: string | undefined;
  /** Device it computed on (`cpu`, `cuda:1`), when the caller said; older checkpoints: the CPU. */
  device?: string | undefined;
  /** sha-256 of the checkpoint file this stage started from, if any. */
  parent?: string | undefined;
  startedAt: string;
  finishedAt?: string | undefined;
  /** Final metrics of the stage. */
  metrics?: Record<string, number> | undefined;
  /** How the learning rate was chosen when it was asked for as `lr: auto` (`options.lr` is the rate chosen). */
  lrFind?: LrFindRecord | undefined;
  /** The data augmentation its training batches went through (`augment flip,crop=2`), if any. */
  augment?: string | undefined;
}

/** A learning rate `lr: auto` chose with an lr-find range test, as provenance records it. */
export interface LrFindRecord {
  /** The rate chosen and trained. */
  lr: number;
  /** The rule that read it off the curve (`valley`, `minimum`). */
  rule: string;
  /** The range tested: from `startLr` to `endLr` over `steps` steps. */
  startLr: number;
  endLr: number;
  steps: number;
  /** Steps the test took (fewer than `steps` when the loss diverged). */
  tested: number;
  /** The phase tested. */
  phase: string;
}

/** The JSON manifest stored under `__metadata__.headstart` of a checkpoint. */
export interface CheckpointManifest {
  format: 'headstart';
  version: number;
  spec: ModelSpec;
  /** Class index → original label. */
  labels?: Label[] | undefined;
  /** Names of the input columns in the order the model reads them (CSV header), when the data had names. */
  featureNames?: string[] | undefined;
  preprocessing: Preprocessing;
  /** The tokenizer of a model whose inputs are token ids. */
  tokenizer?: TokenizerPreprocessing | undefined;
  training?: TrainingState | undefined;
  provenance: ProvenanceEntry[];
  /** sha-256 (hex) of the tensor data section, checked on every load. */
  dataSha256: string;
  /**
   * Set on an adapter-only checkpoint (LoRA): the file holds only the parameters that are not the
   * base's (adapters, head); the rest are read from the base it names, whose sha-256 must match.
   */
  adapter?: AdapterRecord | undefined;
}

/** What an adapter-only checkpoint records about its adapters and the base they were trained on. */
export interface AdapterRecord {
  /** The method (`lora`). */
  kind: 'lora';
  /** The base checkpoint: its path as given to `--from`, and the sha-256 (hex) of the whole file. */
  base: { file: string; sha256: string };
  rank: number;
  alpha: number;
  /** The layers that carry adapters. */
  targets: string[];
}
