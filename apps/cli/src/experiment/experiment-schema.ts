import { z } from 'zod';

const label = z.union([z.string(), z.number()]);

/** Refuse a value listed twice: a repeated seed or budget would run the same thing again and count it as another run. */
function listedOnce(values: readonly unknown[], ctx: z.RefinementCtx): void {
  const twice = values.find((value, index) => values.indexOf(value) !== index);
  if (twice !== undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(twice)} is listed twice; list each value once` });
}

/** One strategy of an experiment file. */
const armSchema = z.strictObject({
  strategy: z.string().min(1),
  /** Name in tables and plots; default the strategy's. */
  name: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).default({}),
  /** Start from the source model (`source`) or from scratch (`none`); default: `source` for strategies that need a start, else `none`. */
  from: z.enum(['source', 'none']).optional(),
  description: z.string().optional(),
  /** Image augmentation of the arm's training batches, as `--augment` takes it. */
  augment: z.string().min(1).optional(),
});

/** An experiment file for `headstart compare`. Paths are relative to the file. */
export const experimentSchema = z.strictObject({
  name: z.string().min(1).default('experiment'),
  data: z.string().min(1),
  label: z.string().min(1).default('label'),
  scale: z.number().positive().optional(),
  inputShape: z.array(z.number().int().positive()).min(1).optional(),
  /** Text data: the column (CSV) or field (JSONL) of the text, tokenised with a vocabulary built from `data`. */
  text: z
    .strictObject({
      column: z.string().min(1),
      maxLength: z.number().int().positive().optional(),
      vocabSize: z.number().int().gt(5).optional(),
    })
    .optional(),
  source: z.strictObject({
    data: z.string().min(1).optional(),
    labels: z.array(label).min(1).optional(),
    model: z.string().min(1).optional(),
    strategy: z.string().min(1).default('full-retrain'),
    options: z.record(z.string(), z.unknown()).default({}),
  }),
  target: z.strictObject({
    labels: z.array(label).min(1).optional(),
    testFraction: z.number().gt(0).lt(1).default(0.3),
    budgets: z.array(z.number().int().positive()).min(1).superRefine(listedOnce).default([5, 10, 50]),
  }),
  strategies: z.array(armSchema).min(1),
  seeds: z.array(z.number().int()).min(1).superRefine(listedOnce).default([1, 2, 3]),
});

/** A parsed experiment file. */
export type ExperimentFile = z.infer<typeof experimentSchema>;
