import { DEVICE_SPELLINGS, MAX_SEED, parseDevice } from '@headstart/core';
import { z } from 'zod';

const label = z.union([z.string(), z.number()]);

/** One stage of a pipeline: a strategy, its data and options. */
export const stageSchema = z
  .strictObject({
    /** Unique name; the stage's checkpoint is `<out>/<index>-<name>.safetensors`. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - (it names the checkpoint file)'),
    strategy: z.string().min(1),
    /** Labelled training data. */
    data: z.string().min(1),
    val: z.string().min(1).optional(),
    unlabeled: z.string().min(1).optional(),
    label: z.string().min(1).default('label'),
    /** Keep only these classes of `data` (and `val`). */
    labels: z.array(label).min(1).optional(),
    /** Keep this many labelled samples a class (a label budget). */
    perClass: z.number().int().positive().optional(),
    /** Image augmentation of the stage's training batches, as `--augment` takes it (`flip,crop=2,shift=1`). */
    augment: z.string().min(1).optional(),
    /** Fraction of `data` held out for validation when `val` is not given. */
    valSplit: z.number().min(0).lt(1).default(0),
    /** Train on text: the column (CSV) or field (JSONL) holding it, as `--text-column`; a stage from a text model may leave it out. */
    textColumn: z.string().min(1).optional(),
    /** Text: a Hugging Face `tokenizer.json` (`--tokenizer`); default a vocabulary built from `data`. */
    tokenizer: z.string().min(1).optional(),
    /** Text: tokens a sequence (`--max-length`; default 128, or the starting model's). */
    maxLength: z.number().int().positive().optional(),
    /** Text: most tokens of a vocabulary built from `data` (`--vocab-size`; default 8000). */
    vocabSize: z.number().int().gt(5, 'a vocabulary holds the 5 special tokens and more').optional(),
    /** Strategy options (as `--set`). */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .refine((stage) => stage.val === undefined || stage.valSplit === 0, {
    path: ['valSplit'],
    message: 'val and valSplit both choose the validation data (a file, or a share of data); give one of them',
  });

/** A pipeline file: stages run in order, each starting from the previous stage's checkpoint. */
export const pipelineSchema = z.strictObject({
  /** Backend for every stage (default: the best available). */
  backend: z.string().optional(),
  /** Device every stage computes on (as `--device`; default: cpu). */
  device: z
    .string()
    .refine((text) => parseDevice(text) !== undefined, { message: `expected ${DEVICE_SPELLINGS}` })
    .optional(),
  seed: z.number().int().min(0).max(MAX_SEED).default(42),
  /** Directory for the stages' checkpoints. */
  out: z.string().min(1).default('pipeline-out'),
  /** The first stage's starting checkpoint or model file. */
  from: z.string().optional(),
  /** The first stage's architecture (a ModelSpec file); default: core's default for the data. */
  model: z.string().optional(),
  inputShape: z.array(z.number().int().positive()).min(1).optional(),
  /** Preprocessing fitted by the first stage and inherited by the rest. */
  scale: z.number().positive().optional(),
  standardize: z.boolean().default(false),
  stages: z.array(stageSchema).min(1),
});

/** A validated pipeline. */
export type Pipeline = z.infer<typeof pipelineSchema>;
/** A validated stage. */
export type Stage = z.infer<typeof stageSchema>;
