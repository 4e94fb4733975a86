import type { StepOptions } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { ConformanceFailure } from '../conformance-failure.js';
import { sampleBatch } from '../fixtures/sample-data.js';
import { MLP_SPEC } from '../fixtures/specs.js';
import { adamEverywhere, startTraining } from './training-session.js';

const SPEC = MLP_SPEC;
const OPTIONS = adamEverywhere(SPEC);
const BATCHES = [0, 1, 2, 3].map((i) => sampleBatch(SPEC, 'softmaxCrossEntropy', 8, 170 + i));
// Each step's options and the positional number they stand for: absent and `{}` mean 1.
const FORMS: [StepOptions | undefined, number][] = [
  [undefined, 1],
  [{ lrScale: 0.5 }, 0.5],
  [{}, 1],
  [{ lrScale: 0.25 }, 0.25],
];

/** Checks of `Trainer.step`'s options against the positional `lrScale` core's loop passes. */
export const stepOptionsChecks: ConformanceCheck[] = [
  {
    id: 'train.step-options',
    title:
      'step(batch), step(batch, { lrScale }) and step(batch, {}) train bit for bit as step(batch, 1), step(batch, lrScale) and step(batch, 1); an unknown step option is refused',
    async run(ctx) {
      const named = await startTraining(ctx.backend, SPEC, OPTIONS, { weightsSeed: 169 });
      const positional = await startTraining(ctx.backend, SPEC, OPTIONS, { weightsSeed: 169 });
      try {
        const losses: [number[], number[]] = [[], []];
        for (const [i, [options, lrScale]] of FORMS.entries()) {
          losses[0].push((await named.trainer.step(BATCHES[i]!, options)).loss);
          losses[1].push((await positional.trainer.step(BATCHES[i]!, lrScale)).loss);
        }
        ctx.expect.identical('losses of the steps', losses[0], losses[1]);
        ctx.expect.identical('weights after the steps', await named.model.getWeights(), await positional.model.getWeights());
        const misspelt = { lrscale: 0.5 } as StepOptions;
        const refused = await named.trainer.step(BATCHES[0]!, misspelt).then(
          () => false,
          () => true,
        );
        if (!refused) throw new ConformanceFailure('step(batch, { lrscale: 0.5 }) trained instead of refusing the unknown option lrscale');
      } finally {
        named.dispose();
        positional.dispose();
      }
    },
  },
];
