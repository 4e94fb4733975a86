import { isUserError, validateSpec, type ModelSpec } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { ConformanceFailure } from '../conformance-failure.js';

/** A residual block: the smallest graph model (a layer taking other than the one before it, and a merge). */
const RESIDUAL_SPEC: ModelSpec = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'hidden', units: 4, activation: 'relu' },
    { type: 'add', name: 'res1', inputs: ['hidden', 'input'] },
    { type: 'dense', name: 'head', units: 2 },
  ],
});

/** Checks of graph models (layers with `inputs`, merges). */
export const graphChecks: ConformanceCheck[] = [
  {
    id: 'graph.refusal',
    title: 'a backend that runs chains of layers only refuses a graph model in createModel with one line, a user error naming the layer',
    async run(ctx) {
      let refusal: unknown;
      try {
        (await ctx.backend.createModel(RESIDUAL_SPEC, undefined, { seed: 7 })).dispose();
      } catch (error) {
        refusal = error;
      }
      if (refusal === undefined) return { skipped: 'the backend creates graph models' };
      const message = refusal instanceof Error ? refusal.message : String(refusal);
      if (!isUserError(refusal))
        throw new ConformanceFailure(
          `createModel of a graph model threw an unexpected error (not a user error, so the CLI shows a stack): ${message}`,
        );
      if (message.includes('\n') || !message.includes('"res1"'))
        throw new ConformanceFailure(
          `the refusal of a graph model should be one line naming layer "res1", got: ${JSON.stringify(message)}`,
        );
    },
  },
];
