import { join } from 'node:path';
import type { ConformanceCheck } from '../check.js';
import { sampleInputs, sampleWeights } from '../fixtures/sample-data.js';
import { CNN_SPEC, MLP_SPEC, STRIDED_SPEC } from '../fixtures/specs.js';
import { MODEL_SEED } from './run-scenario.js';

/** Checks of the optional exportModel/importModel capability. */
export const exportChecks: ConformanceCheck[] = [
  {
    id: 'export.round-trip',
    title: 'exportModel then importModel gives a model computing the same function (MLP, CNN, strided CNN)',
    async run(ctx) {
      const { backend } = ctx;
      if (!backend.exportModel) return { skipped: `backend "${backend.name}" has no exportModel (an optional capability)` };
      if (!backend.importModel)
        return { skipped: `backend "${backend.name}" has exportModel but no importModel, so a round trip cannot be checked` };
      for (const [index, spec] of [MLP_SPEC, CNN_SPEC, STRIDED_SPEC].entries()) {
        const model = await backend.createModel(spec, sampleWeights(spec, 120 + index), { seed: MODEL_SEED });
        try {
          const file = join(ctx.tempDir, `model-${index}.${ctx.exportFormat}`);
          await backend.exportModel(model, ctx.exportFormat, file);
          const imported = await backend.importModel(file);
          const back = await backend.createModel(imported.spec, imported.weights, { seed: MODEL_SEED });
          try {
            const x = sampleInputs(spec, 5, 130 + index);
            ctx.expect.close(`spec ${index}: predictions of the imported model`, await back.predict(x, 5), await model.predict(x, 5));
          } finally {
            back.dispose();
          }
        } finally {
          model.dispose();
        }
      }
    },
  },
];
