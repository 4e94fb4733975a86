import type { Backend, ModelSpec, OptimizerConfig } from '@headstart/core';
import type { Expectations, Measurement } from './measurements.js';

/** What a check runs with. */
export interface CheckContext {
  /** The backend under test. */
  backend: Backend;
  /** The plain-JavaScript float64 backend (see `createReferenceBackend`). */
  float64: Backend;
  /** The backend of {@link ConformanceOptions.reference}, when given. */
  reference?: Backend | undefined;
  /** Assertions; their measurements go into the check's result. */
  expect: Expectations;
  /** A fresh directory for files the check writes; removed when the suite ends. */
  tempDir: string;
  /** The format for `exportModel`. */
  exportFormat: string;
}

/** A check's way of saying it could not run here; not a failure. */
export interface Skip {
  skipped: string;
}

/**
 * What a check computes and compares: the layer types and activations of its specs, and its
 * optimizers. The suite's coverage test holds the union over all checks against core's tables, so
 * a layer type, activation or optimizer no check exercises fails the suite.
 */
export interface Exercised {
  /** Specs whose outputs (or training) the check compares. */
  specs: readonly ModelSpec[];
  /** Optimizers whose steps it compares. */
  optimizers?: readonly OptimizerConfig['type'][] | undefined;
}

/** One conformance check. Checks are independent and may run in any order. */
export interface ConformanceCheck {
  /** Stable id, used in `skip` and `checks` options: `float64.train.sgd`. */
  id: string;
  /** One line saying what it verifies. */
  title: string;
  /** What it exercises, for the coverage of core's layer types, activations and optimizers. */
  exercises?: Exercised | undefined;
  /**
   * Run it. Failures throw (a `ConformanceFailure` for a wrong value, the backend's own error
   * otherwise); a missing optional capability returns a {@link Skip} with the reason.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a check that passes returns nothing; one that skips returns why
  run(context: CheckContext): Promise<void | Skip>;
}

/** How a check ended. */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** A check's result in a {@link ConformanceReport}. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** Why it was skipped, or the failure's message. */
  reason?: string | undefined;
  /** The failure itself (its stack shows where). */
  error?: unknown | undefined;
  /** Comparisons made, with the largest difference found in each. */
  measurements: Measurement[];
  /** Wall time of the check in milliseconds. */
  milliseconds: number;
}

/** What {@link runConformance} reports. */
export interface ConformanceReport {
  backend: string;
  /** `Model.engine` of the backend's models, e.g. `tfjs/cpu`, once a model was made. */
  engine?: string | undefined;
  /** Whether no check failed. */
  passed: boolean;
  results: CheckResult[];
}
