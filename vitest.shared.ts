import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the `source` export condition, so they run against
// src/ without a build and every package shares one copy of @headstart/core.
const conditions = ['source', 'import', 'module', 'node', 'default'];

/** Settings every project's vitest.config.ts merges in. */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', '**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/fixtures/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Points the token cache at a temporary folder: no test writes to the user's ~/.cache.
    setupFiles: [join(import.meta.dirname, 'vitest.setup.ts')],
    // One test file per core. Vitest's default keeps a core for itself (one worker on CI's 2 cores), but its main
    // process idles while files run, and most files here wait on a CLI child, so that core would sit unused.
    maxWorkers: availableParallelism(),
    // The JSON report feeds the one-line total that `npm test` prints at the end (scripts/test-summary.mjs).
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
