import { selectChecks } from './all-checks.js';
import type { CheckResult, ConformanceReport } from './check.js';
import { ConformanceSession } from './conformance-session.js';
import type { BackendFactory, ConformanceOptions } from './options.js';

/**
 * Run the conformance suite without a test runner: every selected check, one after another, each
 * failure caught and reported. Use it from a script or another test framework; under vitest,
 * `describeBackendConformance` gives one test per check instead.
 * @throws Error only for options naming checks that do not exist.
 */
export async function runConformance(makeBackend: BackendFactory, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const selected = selectChecks(options);
  const session = new ConformanceSession(makeBackend, options);
  const results: CheckResult[] = [];
  try {
    for (const { check, skip } of selected) {
      const start = performance.now();
      const base = { id: check.id, title: check.title };
      if (skip !== undefined) {
        results.push({ ...base, status: 'skipped', reason: skip, measurements: [], milliseconds: 0 });
        continue;
      }
      try {
        const run = await session.run(check);
        const milliseconds = performance.now() - start;
        results.push(
          run.skipped === undefined
            ? { ...base, status: 'passed', measurements: run.measurements, milliseconds }
            : { ...base, status: 'skipped', reason: run.skipped, measurements: run.measurements, milliseconds },
        );
      } catch (error) {
        results.push({
          ...base,
          status: 'failed',
          reason: error instanceof Error ? error.message : String(error),
          error,
          measurements: [],
          milliseconds: performance.now() - start,
        });
      }
    }
    const described = await session.describeBackend().catch(() => undefined);
    return {
      backend: described?.name ?? 'unknown',
      ...(described?.engine ? { engine: described.engine } : {}),
      passed: results.every((r) => r.status !== 'failed'),
      results,
    };
  } finally {
    await session.close();
  }
}
