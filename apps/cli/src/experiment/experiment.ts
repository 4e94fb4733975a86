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
  description?: string;
}

/**
 * A transfer experiment: pre-train on some classes (the source), then learn other classes (the
 * target) from a few labels each, with several strategies, label budgets and seeds.
 */
export interface Experiment {
  name: string;
  /** Labelled data holding both source and target classes. */
  data: string;
  label: string;
  scale?: number;
  inputShape?: number[];
  source: { labels: Label[]; strategy: string; options: Record<string, unknown> };
  target: { labels: Label[]; testFraction: number; budgets: number[] };
  arms: ExperimentArm[];
  seeds: number[];
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
  curve: { loss: number; accuracy?: number }[];
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
