import { afterAll, describe, it } from 'vitest';
import { selectChecks } from './all-checks.js';
import { ConformanceSession } from './conformance-session.js';
import type { Measurement } from './measurements.js';
import type { BackendFactory, ConformanceOptions } from './options.js';

/**
 * Register the conformance suite as vitest tests: a `describe` block named after the backend with
 * one `it` per check. A check skipped by `options.skip`, or by a capability the backend lacks, shows
 * as skipped with its reason; each comparison's largest difference is attached as an annotation.
 * Call it at the top level of a test file.
 *
 * @param name the describe block's title, e.g. `tfjs`.
 * @param makeBackend makes the backend under test; called once, on the first check.
 * @example
 * describeBackendConformance('my-backend', () => createMyBackend(), { skip: { 'export.round-trip': 'no import yet' } });
 */
export function describeBackendConformance(name: string, makeBackend: BackendFactory, options: ConformanceOptions = {}): void {
  const selected = selectChecks(options);
  describe(`${name}: backend conformance`, () => {
    const session = new ConformanceSession(makeBackend, options);
    afterAll(() => session.close());
    for (const { check, skip } of selected) {
      if (skip !== undefined) {
        it.skip(`${check.id}: ${check.title} (skipped: ${skip})`, () => undefined);
        continue;
      }
      it(`${check.id}: ${check.title}`, async (context) => {
        const run = await session.run(check);
        for (const m of run.measurements) await context.annotate(formatMeasurement(m));
        if (run.skipped !== undefined) context.skip(run.skipped);
      });
    }
  });
}

/** One line for a measurement: `weights after step 1: max |Δ| 3.1e-7 (tolerance 1e-4)`. */
export function formatMeasurement(m: Measurement): string {
  return `${m.what}: max |Δ| ${m.maxDifference.toExponential(1)} (${m.tolerance === 0 ? 'bit-identical' : `tolerance ${m.tolerance}`})`;
}
