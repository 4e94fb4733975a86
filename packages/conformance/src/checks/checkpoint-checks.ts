import type { ConformanceCheck } from '../check.js';
import { sampleInputs } from '../fixtures/sample-data.js';
import { CNN_SPEC } from '../fixtures/specs.js';
import { throughCheckpoint } from './checkpoint-io.js';
import { adamEverywhere, classifierBatches, startTraining } from './training-session.js';

const OPTIONS = adamEverywhere(CNN_SPEC);
const FIRST = classifierBatches(CNN_SPEC, [111, 112]);
const NEXT = classifierBatches(CNN_SPEC, [113, 114]);

/** Reference-free checks that a checkpoint written by core holds the model and its training. */
export const checkpointChecks: ConformanceCheck[] = [
  {
    id: 'checkpoint.round-trip',
    title: "a model trained two steps, written with core's writeCheckpoint and read back into a new model, predicts the same (CNN)",
    async run(ctx) {
      const trained = await startTraining(ctx.backend, CNN_SPEC, OPTIONS, { weightsSeed: 110 });
      try {
        const weights = await trained.steps(FIRST);
        const checkpoint = await throughCheckpoint(
          ctx.tempDir,
          'round-trip',
          ctx.backend.name,
          CNN_SPEC,
          weights,
          await trained.trainer.getState(),
        );
        const restored = await ctx.backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
        try {
          ctx.expect.identical('weights of the model read back', await restored.getWeights(), weights);
          const x = sampleInputs(CNN_SPEC, 5, 115);
          ctx.expect.close('predictions of 5 samples', await restored.predict(x, 5), await trained.model.predict(x, 5));
        } finally {
          restored.dispose();
        }
      } finally {
        trained.dispose();
      }
    },
  },
  {
    id: 'checkpoint.resume',
    title:
      'a new trainer given the optimizer state from the checkpoint continues as the original trainer does (Adam step count, moments, dropout masks; CNN)',
    async run(ctx) {
      const original = await startTraining(ctx.backend, CNN_SPEC, OPTIONS, { weightsSeed: 110 });
      try {
        const weights = await original.steps(FIRST);
        const state = await original.trainer.getState();
        ctx.expect.equal('optim.step after 2 steps', Array.from(state.get('optim.step')?.data ?? []), [2]);
        const checkpoint = await throughCheckpoint(ctx.tempDir, 'resume', ctx.backend.name, CNN_SPEC, weights, state);
        const resumed = await startTraining(ctx.backend, CNN_SPEC, OPTIONS, { weights: checkpoint.weights, state: checkpoint.optimizer });
        try {
          const continued = await original.steps(NEXT);
          ctx.expect.close('weights after 2 more steps, resumed against continued', await resumed.steps(NEXT), continued);
        } finally {
          resumed.dispose();
        }
      } finally {
        original.dispose();
      }
    },
  },
];
