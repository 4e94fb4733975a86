import { trainingOptionsSchema } from '@headstart/core';
import { z } from 'zod';

/**
 * Options of `self-training`: core's shared training options (`epochs`, `lr`, `batchSize`,
 * `optimizer`, `schedule`, `patience`, …) plus the pseudo-labelling ones. Every value may arrive as
 * a string from `--set key=value`, so numbers are coerced.
 */
export const selfTrainingOptionsSchema = trainingOptionsSchema.extend({
  /** Rounds of pseudo-labelling after the first round, which trains on the labels alone. */
  rounds: z.coerce.number().int().min(1).max(50).default(5),
  /** Epochs of each pseudo-labelled round (`epochs` is the first round's). */
  roundEpochs: z.coerce.number().int().positive().default(10),
  /**
   * Share of the unlabelled samples pseudo-labelled by the last round. Round `r` of `R` labels
   * `r/R` of it, the same number for every class, the most confident first: a curriculum from easy
   * samples to hard ones that keeps one class from crowding out the others.
   */
  fraction: z.coerce.number().gt(0).max(1).default(1),
  /** Least top-class probability a sample needs to get a pseudo-label at all. */
  threshold: z.coerce.number().min(0).max(1).default(0.5),
});

/** Parsed options of `self-training`. */
export type SelfTrainingOptions = z.infer<typeof selfTrainingOptionsSchema>;
