import { z } from 'zod';

/** A run of a compare grid: the source model of a seed, or one arm at one budget and seed. */
const compareRun = z.union([
  z.strictObject({ kind: z.literal('source'), seed: z.number().int() }),
  z.strictObject({ kind: z.literal('arm'), arm: z.string().min(1), budget: z.number().int().positive(), seed: z.number().int() }),
]);

/**
 * What a queued compare job carries: data only — the experiment file's text (checked by the
 * worker exactly as a local `compare` checks the file) and which run of its grid to train.
 */
export const compareJobSchema = z.strictObject({
  experiment: z.strictObject({ file: z.string().min(1), text: z.string() }),
  backend: z.string().optional(),
  run: compareRun,
});

/** A compare job's data. */
export type CompareJob = z.infer<typeof compareJobSchema>;
/** Which run of a grid a job trains. */
export type CompareRun = z.infer<typeof compareRun>;

/** A job's id in its queue: stable, so a coordinator started again finds the jobs it queued. */
export function compareJobId(run: CompareRun, armIndex?: number): string {
  return run.kind === 'source' ? `source-s${run.seed}` : `arm${armIndex}-b${run.budget}-s${run.seed}`;
}

/** What a queued pipeline stage carries: the pipeline file's text (checked by the worker as `headstart run` checks it) and the stage's index. */
export const stageJobSchema = z.strictObject({
  pipeline: z.strictObject({ file: z.string().min(1), text: z.string() }),
  stage: z.number().int().nonnegative(),
});

/** A pipeline stage job's data. */
export type StageJob = z.infer<typeof stageJobSchema>;
