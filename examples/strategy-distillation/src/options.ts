import { trainingOptionsSchema } from '@headstart/core';
import { z } from 'zod';

/** `--set studentUnits=32,16`: the student's hidden layer widths, a comma list of positive integers. */
const unitsOption = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : typeof v === 'number' ? [v] : v),
  z.array(z.number().int().positive()).min(1).max(8),
);

/**
 * Options of `distillation`: core's shared training options (`epochs`, `lr`, `batchSize`,
 * `optimizer`, `schedule`, `patience`, …), which the student's phase uses, plus the teacher's epochs,
 * the student's size and the distillation loss's temperature and weight. Every value may arrive as
 * a string from `--set key=value`, so numbers are coerced.
 */
export const distillationOptionsSchema = trainingOptionsSchema.extend({
  /** Epochs of the teacher's own training (not used with `--from`, whose model is the teacher). */
  teacherEpochs: z.coerce.number().int().positive().default(30),
  /** Hidden layer widths of the student MLP (ReLU), then a softmax head over the classes. */
  studentUnits: unitsOption.default([16]),
  /** Softmax temperature T of the distillation term; higher softens the teacher's probabilities. */
  temperature: z.coerce.number().positive().finite().default(4),
  /** Weight of the distillation term: `alpha·T²·KL(teacher ‖ student) + (1 − alpha)·cross-entropy`. */
  alpha: z.coerce.number().min(0).max(1).default(0.7),
});

/** Parsed options of `distillation`. */
export type DistillationOptions = z.infer<typeof distillationOptionsSchema>;
