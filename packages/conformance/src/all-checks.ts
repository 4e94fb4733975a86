import type { ConformanceCheck } from './check.js';
import { checkpointChecks } from './checks/checkpoint-checks.js';
import { comparisonChecks, type Expected } from './checks/comparison-checks.js';
import { continuationChecks } from './checks/continuation-checks.js';
import { exportChecks } from './checks/export-checks.js';
import { frozenChecks } from './checks/frozen-checks.js';
import { graphChecks } from './checks/graph-checks.js';
import { graphComparisonChecks } from './checks/graph-comparison-checks.js';
import { sequenceComparisonChecks } from './checks/sequence-checks.js';
import { stepManyChecks } from './checks/step-many-checks.js';
import { stepOptionsChecks } from './checks/step-options-checks.js';
import { weightChecks } from './checks/weight-checks.js';
import type { ConformanceOptions } from './options.js';

/**
 * Every check of the suite, in the order they run: the reference-free checks of weights, the
 * comparisons with the float64 reference (`float64.*`, chains, graph models, then sequence models), the reference-free
 * checks of freezing, step options, `stepMany`, checkpoints, export and graph models, and, when a reference backend
 * is given, the comparisons with it (`reference.*`).
 */
export function conformanceChecks(options: { reference?: boolean | undefined } = {}): ConformanceCheck[] {
  return [
    ...weightChecks,
    ...comparisonsWith(FLOAT64),
    ...frozenChecks,
    ...stepOptionsChecks,
    ...stepManyChecks,
    ...checkpointChecks,
    ...exportChecks,
    ...graphChecks,
    ...(options.reference ? [...comparisonsWith(REFERENCE), ...continuationChecks] : []),
  ];
}

const FLOAT64: Expected = { prefix: 'float64', label: 'the float64 reference', pick: (ctx) => ctx.float64 };
const REFERENCE: Expected = { prefix: 'reference', label: 'the reference backend', pick: (ctx) => ctx.reference! };

/** Every comparison with `expected`: of chains of layers, of graph models, then of sequence models. */
function comparisonsWith(expected: Expected): ConformanceCheck[] {
  return [...comparisonChecks(expected), ...graphComparisonChecks(expected), ...sequenceComparisonChecks(expected)];
}

/** A check to run, or to report as skipped by the options with their reason. */
export interface SelectedCheck {
  check: ConformanceCheck;
  skip?: string | undefined;
}

/**
 * The checks `options` ask for, with their skips.
 * @throws Error when a `checks` entry or a `skip` id names no check, listing the ids there are.
 */
export function selectChecks(options: ConformanceOptions): SelectedCheck[] {
  const all = conformanceChecks({ reference: options.reference !== undefined });
  const ids = all.map((check) => check.id);
  const matches = (pattern: string, id: string): boolean => (pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : id === pattern);
  const unknown = [
    ...(options.checks ?? []).filter((pattern) => !ids.some((id) => matches(pattern, id))).map((p) => `checks: "${p}"`),
    ...Object.keys(options.skip ?? {})
      .filter((id) => !ids.includes(id))
      .map((id) => `skip: "${id}"`),
  ];
  if (unknown.length > 0) {
    const hint = options.reference ? '' : ' (reference.* checks need the reference option)';
    throw new Error(`conformance: ${unknown.join(', ')} matches no check${hint}; the checks are ${ids.join(', ')}`);
  }
  return all
    .filter((check) => !options.checks || options.checks.some((pattern) => matches(pattern, check.id)))
    .map((check) => {
      const skip = options.skip?.[check.id];
      return skip === undefined ? { check } : { check, skip };
    });
}
