import { z } from 'zod';
import type { OptimizerConfig } from './backend.js';
import type { EarlyStopping } from './train/fit-plan.js';
import type { LrSchedule } from './train/schedules.js';

/** `true`/`false`/`1`/`0`/`yes`/`no` from `--set flag=value`, or a real boolean. */
export const booleanOption = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return ['true', '1', 'yes', 'on'].includes(s) ? true : ['false', '0', 'no', 'off'].includes(s) ? false : v;
}, z.boolean());

/**
 * Options every training strategy shares, with defaults a practitioner would pick. Strategies
 * `.extend()` it and may override defaults (a lower `lr` for fine-tuning). Values may arrive as
 * strings from `--set key=value`; numbers are coerced.
 */
export const trainingOptionsSchema = z.strictObject({
  /** Passes over the training data. */
  epochs: z.coerce.number().int().positive().default(30),
  /** Base learning rate. */
  lr: z.coerce.number().positive().default(1e-3),
  batchSize: z.coerce.number().int().positive().default(32),
  optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
  /** SGD momentum (ignored by Adam). */
  momentum: z.coerce.number().min(0).lt(1).default(0.9),
  nesterov: booleanOption.default(false),
  weightDecay: z.coerce.number().min(0).default(0),
  schedule: z.enum(['constant', 'step', 'cosine', 'one-cycle']).default('constant'),
  /** Linear warm-up over this many epochs (not with one-cycle, which warms up itself). */
  warmupEpochs: z.coerce.number().min(0).default(0),
  /** Stop after this many epochs without improvement of the validation loss; 0 never stops early. */
  patience: z.coerce.number().int().min(0).default(0),
});

/** Parsed shared training options. */
export type TrainingOptions = z.infer<typeof trainingOptionsSchema>;

/** The optimizer the options describe. */
export function optimizerFrom(options: TrainingOptions): OptimizerConfig {
  return options.optimizer === 'sgd'
    ? { type: 'sgd', momentum: options.momentum, nesterov: options.nesterov }
    : { type: options.optimizer };
}

/** The LR schedule the options describe, for a phase with `stepsPerEpoch` steps. */
export function scheduleFrom(options: TrainingOptions, stepsPerEpoch: number): LrSchedule {
  const warmupSteps = Math.round(options.warmupEpochs * stepsPerEpoch);
  switch (options.schedule) {
    case 'one-cycle':
      return { type: 'one-cycle' };
    case 'step':
      return { type: 'step', stepEpochs: Math.max(1, Math.round(options.epochs / 3)), gamma: 0.1, warmupSteps };
    case 'cosine':
      return { type: 'cosine', warmupSteps };
    case 'constant':
      return { type: 'constant', warmupSteps };
  }
}

/** Early stopping when `patience` is set. */
export function earlyStoppingFrom(options: TrainingOptions): EarlyStopping | undefined {
  return options.patience > 0 ? { patience: options.patience, monitor: 'valLoss', restoreBest: true } : undefined;
}

/** The `lr` that asks for an lr-find range test to choose the rate (`--lr auto`, a stage's `lr: auto`). */
export const AUTO_LR = 'auto';

/** What {@link checkOptions} found: the parsed options, or one line saying what is wrong. */
export type OptionsCheck = { ok: true; options: Record<string, unknown> } | { ok: false; field: string; problem: string };

/**
 * Parse raw options (flags, `--set`, a pipeline stage's `options:`) with a strategy's schema.
 * On failure, names the field and says what was expected and what was given (`lr: expected a
 * number, got "abc"`); an unknown option is reported before anything else and lists the known ones.
 * `lr: auto` ({@link AUTO_LR}) is kept as it is, the rest parsed, for the run to find the rate.
 */
export function checkOptions(schema: z.ZodType, raw: Record<string, unknown>): OptionsCheck {
  if (raw.lr === AUTO_LR) return checkAutoLr(schema, raw);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, options: parsed.data as Record<string, unknown> };
  const issues = parsed.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const known = 'shape' in schema ? Object.keys(schema.shape as object).join(', ') : '';
    const problem = `unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}${known ? `; its options are ${known}` : ''}`;
    return { ok: false, field: '', problem };
  }
  const field = issue.path.map(String).join('.');
  const given = issue.path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key], raw);
  // z.coerce turns "abc" into NaN and zod then reports "received NaN"; say what the user wrote.
  const problem =
    issue.code === 'invalid_type' && given !== undefined
      ? `expected ${issue.expected === 'number' ? `a number${field === 'lr' ? ` or "${AUTO_LR}"` : ''}` : issue.expected}, got ${JSON.stringify(given)}`
      : issue.message;
  return { ok: false, field, problem };
}

function checkAutoLr(schema: z.ZodType, raw: Record<string, unknown>): OptionsCheck {
  const { lr: _auto, ...rest } = raw;
  const checked = checkOptions(schema, rest);
  if (!checked.ok) return checked;
  if (typeof checked.options.lr !== 'number')
    return { ok: false, field: 'lr', problem: `${AUTO_LR}: this strategy has no learning rate (lr) option to find` };
  return { ok: true, options: { ...checked.options, lr: AUTO_LR } };
}
