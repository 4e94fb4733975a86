import { z } from 'zod';
import { transferOptionsSchema } from './transfer-options.js';

/** Options of `gradual-unfreeze`: the transfer options, `epochs` being the total over all stages. */
export const gradualUnfreezeOptionsSchema = transferOptionsSchema.extend({
  /** Epochs between unfreezing one layer group and the next. */
  unfreezeEvery: z.coerce.number().int().positive().default(5),
  /** Each group deeper down trains at the rate of the one above divided by this (ULMFiT's 2.6). */
  lrFactor: z.coerce.number().min(1).default(2.6),
  /** The top group's rate: a new head needs a high one (as in frozen-base); each group below gets less. */
  lr: z.coerce.number().positive().default(1e-2),
  /** The same as `1/lrFactor`, as the other strategies spell it; it wins when given. */
  lrMult: z.coerce.number().positive().max(1).optional(),
});

/** Parsed options of `gradual-unfreeze`. */
export type GradualUnfreezeOptions = z.infer<typeof gradualUnfreezeOptionsSchema>;
