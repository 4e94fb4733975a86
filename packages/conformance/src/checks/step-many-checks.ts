import type { StepResult } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { sampleBatch } from '../fixtures/sample-data.js';
import { CNN_SPEC } from '../fixtures/specs.js';
import { adamEverywhere, startTraining } from './training-session.js';

// With dropout, so the masks must follow the step count across the call.
const SPEC = CNN_SPEC;
const OPTIONS = adamEverywhere(SPEC);
// Runs of equal sizes, then a short last batch, as the end of an epoch gives.
const SIZES = [8, 8, 8, 6, 6, 3];
const BATCHES = SIZES.map((size, i) => sampleBatch(SPEC, 'softmaxCrossEntropy', size, 150 + i));
// A schedule that changes at every step and is never 1, so a dropped or misplaced factor shows.
const LR_SCALES = SIZES.map((_, i) => 0.9 - 0.1 * i);
// Taken first, so both trainers start mid-run: Adam's moments and the step count are not fresh.
const WARM_UP = sampleBatch(SPEC, 'softmaxCrossEntropy', 8, 149);
const AFTER = sampleBatch(SPEC, 'softmaxCrossEntropy', 8, 160);

/** Checks of the optional `Trainer.stepMany` against `step`. */
export const stepManyChecks: ConformanceCheck[] = [
  {
    id: 'train.step-many',
    title: `stepMany over batches of ${SIZES.join(', ')} samples with a changing schedule gives, bit for bit, the losses, weights, batch-norm statistics and Adam state of one step after another, and the step after it agrees too (CNN with dropout, mid-run)`,
    async run(ctx) {
      const stepped = await startTraining(ctx.backend, SPEC, OPTIONS, { weightsSeed: 148 });
      try {
        if (!stepped.trainer.stepMany)
          return {
            skipped: `backend "${ctx.backend.name}" has a trainer without stepMany (an optional capability; core's fit loop calls step instead)`,
          };
        const many = await startTraining(ctx.backend, SPEC, OPTIONS, { weightsSeed: 148 });
        try {
          await stepped.trainer.step(WARM_UP);
          await many.trainer.step(WARM_UP);
          const expected: StepResult[] = [];
          for (const [i, batch] of BATCHES.entries()) expected.push(await stepped.trainer.step(batch, { lrScale: LR_SCALES[i]! }));
          const got = await many.trainer.stepMany!(BATCHES, LR_SCALES);
          ctx.expect.identical(
            'losses of the steps',
            got.map((r) => r.loss),
            expected.map((r) => r.loss),
          );
          ctx.expect.equal(
            'correct predictions of the steps',
            got.map((r) => r.correct ?? null),
            expected.map((r) => r.correct ?? null),
          );
          ctx.expect.identical(
            'weights and batch-norm statistics after the steps',
            await many.model.getWeights(),
            await stepped.model.getWeights(),
          );
          ctx.expect.identical('optimizer state after the steps', await many.trainer.getState(), await stepped.trainer.getState());
          ctx.expect.identical(
            'loss of a single step after them',
            (await many.trainer.step(AFTER)).loss,
            (await stepped.trainer.step(AFTER)).loss,
          );
        } finally {
          many.dispose();
        }
      } finally {
        stepped.dispose();
      }
    },
  },
];
