import { join } from 'node:path';
import type { Backend } from '@headstart/core';
import type { CheckContext, ConformanceCheck } from '../check.js';
import { graphInputs } from '../fixtures/graph-scenarios.js';
import { GRAPH_FIXTURES, RESIDUAL_SPEC } from '../fixtures/graph-specs.js';
import { sampleWeights } from '../fixtures/sample-data.js';
import { trainableNames } from '../fixtures/training-scenarios.js';
import { pick, STEPS, trainFew } from './frozen-checks.js';
import { graphRefusal, skipUnlessGraphs } from './graph-support.js';
import { MODEL_SEED } from './run-scenario.js';

/** The residual block's second half and the head train; bnB is listed in frozenBatchNorm. */
const TRAINED_LAYERS = ['convB', 'bnB', 'head'];

/**
 * Reference-free checks of graph models (layers with `inputs`, merges): a chain-only backend's
 * refusal, freezing in a residual network, and export round trips of every graph fixture. The
 * comparisons with the float64 reference are in graph-comparison-checks.ts.
 */
export const graphChecks: ConformanceCheck[] = [
  {
    id: 'graph.refusal',
    title:
      'a backend that runs chains of layers only refuses a graph model in createModel with one line, a user error naming the layer (the graph checks then skip with it)',
    async run(ctx) {
      if ((await graphRefusal(ctx.backend)) === undefined) return { skipped: 'the backend creates graph models' };
    },
  },
  {
    id: 'train.frozen-graph',
    title: `after ${STEPS} Adam steps on convB, bnB and the head of the residual network with bnB in frozenBatchNorm, every other parameter and every batch-norm statistic (bnB's, and those of stemBn and bnA, whose gamma and beta do not train) are bit-identical and the trained ones changed`,
    async run(ctx) {
      const refused = await skipUnlessGraphs(ctx.backend);
      if (refused) return refused;
      const trainable = trainableNames(RESIDUAL_SPEC, TRAINED_LAYERS);
      const { before, after } = await trainFew(ctx.backend, RESIDUAL_SPEC, {
        trainable,
        groups: [{ name: 'top', params: trainable, lr: 0.01 }],
        optimizer: { type: 'adam' },
        loss: 'softmaxCrossEntropy',
        frozenBatchNorm: ['bnB'],
      });
      const frozen = (name: string): boolean => !trainable.includes(name);
      ctx.expect.identical('frozen parameters and batch-norm statistics', pick(after, frozen), pick(before, frozen));
      ctx.expect.changed(
        'trained parameters',
        pick(after, (name) => !frozen(name)),
        before,
      );
    },
  },
  {
    id: 'export.graph-round-trip',
    title:
      'each graph model exported in every format the backend both exports and imports, then imported, computes the same function (residual, inverted residual, concat)',
    async run(ctx) {
      const { backend } = ctx;
      if (!backend.exportModel) return { skipped: `backend "${backend.name}" has no exportModel (an optional capability)` };
      if (!backend.importModel)
        return { skipped: `backend "${backend.name}" has exportModel but no importModel, so a round trip cannot be checked` };
      const refused = await skipUnlessGraphs(backend);
      if (refused) return refused;
      for (const format of roundTripFormats(backend, ctx)) await roundTrips(ctx, format);
    },
  },
];

/** The backend's formats it both exports and imports; those it declares none of: the suite's export format. */
function roundTripFormats(backend: Backend, ctx: CheckContext): string[] {
  const declared = (backend.formats ?? []).filter((format) => format.export && format.import).map((format) => format.name);
  return declared.length > 0 ? declared : [ctx.exportFormat];
}

async function roundTrips(ctx: CheckContext, format: string): Promise<void> {
  const { backend } = ctx;
  for (const [index, [name, fixture]] of Object.entries(GRAPH_FIXTURES).entries()) {
    const model = await backend.createModel(fixture.spec, sampleWeights(fixture.spec, 160 + index), { seed: MODEL_SEED });
    try {
      const file = join(ctx.tempDir, `${name}.${format}`);
      await backend.exportModel!(model, format, file);
      const imported = await backend.importModel!(file);
      const back = await backend.createModel(imported.spec, imported.weights, { seed: MODEL_SEED });
      try {
        const x = graphInputs(fixture, 5, 170 + index);
        ctx.expect.close(`${name} (${format}): predictions of the imported model`, await back.predict(x, 5), await model.predict(x, 5));
      } finally {
        back.dispose();
      }
    } finally {
      model.dispose();
    }
  }
}
