import type { Label } from '@headstart/core';

/** One strategy to compare, with its options and whether it starts from the pre-trained source model. */
export interface ExperimentArm {
  /** Name in tables and plots. */
  name: string;
  strategy: string;
  options: Record<string, unknown>;
  /** `source`: start from the model pre-trained on the source classes; `none`: from scratch. */
  from: 'source' | 'none';
  /** What it does, in words, for the report's reading (default: the strategy's usual description). */
  description?: string | undefined;
  /** Image augmentation of its training batches, as `--augment` takes it (`crop=1,shift=1`). */
  augment?: string | undefined;
}

/**
 * A transfer experiment: pre-train on some classes (the source), then learn other classes (the
 * target) from a few labels each, with several strategies, label budgets and seeds.
 */
export interface Experiment {
  name: string;
  /** Labelled data of the target task (and of the source, unless `source.data` or `source.model` says otherwise). */
  data: string;
  label: string;
  scale?: number | undefined;
  inputShape?: number[] | undefined;
  /** Text data: the column (CSV) or field (JSONL) of the text, tokenised with a vocabulary built from `data`. */
  text?: TextColumn | undefined;
  /**
   * Pre-training: `strategy` on `labels` of `data` (default: the top-level data), once per seed; or a
   * trained `model` (checkpoint or model file) used as it is.
   */
  source: {
    data?: string | undefined;
    labels?: Label[] | undefined;
    model?: string | undefined;
    strategy: string;
    options: Record<string, unknown>;
    /** What pre-training did, in words, for the report (default: the classes and strategy). */
    description?: string | undefined;
  };
  /** The target task: its classes (default all), the fraction held out for testing, the label budgets. */
  target: { labels?: Label[] | undefined; testFraction: number; budgets: number[] };
  arms: ExperimentArm[];
  seeds: number[];
  /** Where the data comes from, credited in the report. */
  credit?: string | undefined;
}

/**
 * The source strategy that pre-trains a text encoder without labels, on each seed's unlabelled pool
 * (`@headstart/strategies`' `maskedLmEncoder`, not a registered strategy: its head is untrained).
 */
export const MASKED_LM_SOURCE = 'masked-lm-encoder';

/** How an experiment's texts become token sequences. */
export interface TextColumn {
  column: string;
  /** Tokens a sequence (default the data package's). */
  maxLength?: number | undefined;
  /** Most tokens of the vocabulary built from the data (default the data package's). */
  vocabSize?: number | undefined;
}

/** One trained and evaluated run. */
export interface RunResult {
  arm: string;
  strategy: string;
  budget: number;
  seed: number;
  accuracy: number;
  loss: number;
  /** Training time of the run alone. */
  seconds: number;
  /** Validation-free learning curve: training loss and accuracy per epoch, all phases in order. */
  curve: { loss: number; accuracy?: number | undefined }[];
  checkpoint: string;
  provenance: string[];
}

/** Mean and spread of one arm at one budget. */
export interface ArmSummary {
  arm: string;
  budget: number;
  mean: number;
  std: number;
  seconds: number;
  runs: number;
}
