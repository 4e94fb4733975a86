import type { Backend } from '@headstart/core';
import type { CheckContext, ConformanceCheck } from '../check.js';
import { CNN_SPEC, withoutDropout } from '../fixtures/specs.js';
import { throughCheckpoint } from './checkpoint-io.js';
import { adamEverywhere, classifierBatches, startTraining } from './training-session.js';

const SPEC = withoutDropout(CNN_SPEC);
const OPTIONS = adamEverywhere(SPEC);
const FIRST = classifierBatches(SPEC, [141, 142]);
const NEXT = classifierBatches(SPEC, [143, 144]);

/**
 * Train two steps on `from`, write a checkpoint, then continue two steps on `to` from it and on
 * `from` in place; the two continuations must agree.
 */
async function continueAcross(ctx: CheckContext, from: Backend, to: Backend): Promise<void> {
  const original = await startTraining(from, SPEC, OPTIONS, { weightsSeed: 140 });
  try {
    const weights = await original.steps(FIRST);
    const checkpoint = await throughCheckpoint(
      ctx.tempDir,
      `${from.name}-to-${to.name}`,
      from.name,
      SPEC,
      weights,
      await original.trainer.getState(),
    );
    const moved = await startTraining(to, SPEC, OPTIONS, { weights: checkpoint.weights, state: checkpoint.optimizer });
    try {
      const stayed = await original.steps(NEXT);
      ctx.expect.close(
        `trained on ${from.name}, 2 more steps on ${to.name} against 2 more on ${from.name}`,
        await moved.steps(NEXT),
        stayed,
      );
    } finally {
      moved.dispose();
    }
  } finally {
    original.dispose();
  }
}

/** Checks that training moves between the tested backend and the reference backend through a checkpoint. */
export const continuationChecks: ConformanceCheck[] = [
  {
    id: 'reference.continue',
    title:
      'a checkpoint (weights, batch-norm statistics, Adam state) trained on either backend continues on the other as it would on its own (CNN)',
    async run(ctx) {
      const reference = ctx.reference!;
      await continueAcross(ctx, ctx.backend, reference);
      await continueAcross(ctx, reference, ctx.backend);
    },
  },
];
