import { createRng, initializeWeights, isUserError, parameterShapes } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { sampleInputs, sampleWeights } from '../fixtures/sample-data.js';
import { CNN_SPEC, MLP_SPEC, STRIDED_SPEC } from '../fixtures/specs.js';

const SPECS = [MLP_SPEC, CNN_SPEC, STRIDED_SPEC];

/** Checks of a model's parameters as a backend holds them: names, flags, layouts, seeded values. */
export const weightChecks: ConformanceCheck[] = [
  {
    id: 'weights.initializer',
    title: "fresh models list the spec's parameters (statistics not trainable) and hold core's seeded initial weights, bit for bit",
    async run(ctx) {
      for (const [index, spec] of SPECS.entries()) {
        const model = await ctx.backend.createModel(spec, undefined, { seed: 7 });
        try {
          const expected = parameterShapes(spec).map((p) => ({ name: p.name, shape: p.shape, trainable: p.role !== 'statistic' }));
          ctx.expect.equal(`spec ${index}: parameters()`, model.parameters(), expected);
          ctx.expect.identical(
            `spec ${index}: weights of a model created with seed 7`,
            await model.getWeights(),
            initializeWeights(spec, createRng(7)),
          );
        } finally {
          model.dispose();
        }
      }
    },
  },
  {
    id: 'weights.round-trip',
    title: 'weights given to createModel or setWeights come back from getWeights bit for bit in canonical layouts, as copies',
    async run(ctx) {
      for (const [index, spec] of SPECS.entries()) {
        const given = sampleWeights(spec, 40 + index);
        const model = await ctx.backend.createModel(spec, given, { seed: 7 });
        try {
          ctx.expect.identical(`spec ${index}: weights given to createModel`, await model.getWeights(), given);
          const replaced = sampleWeights(spec, 50 + index);
          await model.setWeights(replaced);
          const read = await model.getWeights();
          ctx.expect.identical(`spec ${index}: weights given to setWeights`, read, replaced);
          for (const tensor of read.values()) tensor.data.fill(0);
          replaced.forEach((tensor) => tensor.data.fill(0));
          ctx.expect.identical(
            `spec ${index}: weights after changing the arrays getWeights and setWeights saw`,
            await model.getWeights(),
            sampleWeights(spec, 50 + index),
          );
        } finally {
          model.dispose();
        }
      }
    },
  },
  {
    id: 'weights.missing',
    title:
      'createModel refuses weights that lack a parameter, naming it; with `fresh` naming its layer, that layer starts from the seeded initializer and the rest from the weights given',
    async run(ctx) {
      const spec = MLP_SPEC;
      const head = spec.layers.findLast((l) => parameterShapes(spec).some((p) => p.layer === l.name))!.name;
      const given = sampleWeights(spec, 45);
      const partial = new Map([...given].filter(([name]) => !name.startsWith(`${head}.`)));
      const missing = [...given.keys()].filter((name) => !partial.has(name));
      const refusal = await ctx.backend.createModel(spec, partial, { seed: 7 }).then(
        (model) => {
          model.dispose();
          return 'createModel made a model';
        },
        (error: unknown) => (isUserError(error) ? (error as Error).message : `createModel threw ${String(error)}`),
      );
      ctx.expect.equal(
        `createModel without ${missing.join(', ')}: a user error naming them`,
        missing.every((name) => refusal.includes(name)) ? 'named' : refusal,
        'named',
      );
      const model = await ctx.backend.createModel(spec, partial, { seed: 7, fresh: [head] });
      try {
        const fresh = initializeWeights(spec, createRng(7));
        const expected = new Map([...given].map(([name, tensor]) => [name, partial.has(name) ? tensor : fresh.get(name)!]));
        ctx.expect.identical(`weights of a model created with fresh: ["${head}"] and seed 7`, await model.getWeights(), expected);
      } finally {
        model.dispose();
      }
    },
  },
  {
    id: 'predict.batch-independence',
    title: 'a sample predicted alone gives what it gives within a batch (inference mode uses no batch statistics)',
    async run(ctx) {
      for (const [index, spec] of SPECS.entries()) {
        const model = await ctx.backend.createModel(spec, sampleWeights(spec, 60 + index), { seed: 7 });
        try {
          const x = sampleInputs(spec, 6, 70 + index);
          const batch = await model.predict(x, 6);
          const perSample = x.length / 6;
          const last = await model.predict(x.subarray(5 * perSample), 1);
          ctx.expect.close(`spec ${index}: the last of 6 samples predicted alone`, last, batch.subarray(batch.length - last.length));
        } finally {
          model.dispose();
        }
      }
    },
  },
];
