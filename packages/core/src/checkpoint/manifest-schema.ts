import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CheckpointError, SpecError } from '../errors.js';
import { validateSpec } from '../spec/model-spec.js';
import type { EpochMetrics } from '../train/events.js';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointManifest } from './manifest.js';

const count = z.number().int().nonnegative();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha-256 hex digest (64 lowercase hex digits)');

/** Schema of {@link Preprocessing}. */
export const preprocessingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('scale'), factor: z.number() }),
  z.object({ kind: z.literal('standardize'), mean: z.array(z.number()), std: z.array(z.number()) }),
]);

/** Schema of {@link TokenizerPreprocessing}: `sha256` must be the hash of `json`. */
export const tokenizerPreprocessingSchema = z
  .object({
    kind: z.literal('tokenizer'),
    sha256: sha256Hex,
    maxLength: z.number().int().positive(),
    padId: count,
    vocabSize: z.number().int().positive(),
    textColumn: z.string().min(1),
    json: z.string(),
  })
  .refine((t) => createHash('sha256').update(t.json).digest('hex') === t.sha256, {
    message: 'the tokenizer.json text does not have the sha-256 recorded beside it',
    path: ['json'],
  });

/** An epoch's metrics; JSON has no NaN, so a NaN metric is written as null and read back as NaN. */
const epochMetricsSchema = z
  .record(
    z.string(),
    z
      .number()
      .nullable()
      .transform((v) => v ?? Number.NaN),
  )
  .refine((m) => 'loss' in m, 'expected epoch metrics, with a loss')
  .transform((m) => m as EpochMetrics);

/** Schema of {@link TrainingState}. */
export const trainingStateSchema = z.object({
  stage: count,
  phase: z.string().optional(),
  epoch: count,
  step: count,
  cursor: count,
  rng: z.array(z.number()),
  totals: z.object({ loss: z.number(), correct: count, seen: count }).optional(),
  history: z.array(epochMetricsSchema).optional(),
  seed: z.number().int().optional(),
  dataDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha-256 hex digest')
    .optional(),
  unlabeledDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha-256 hex digest')
    .nullable()
    .optional(),
  complete: z.boolean(),
  earlyStopping: z
    .object({
      // JSON has no NaN: a best metric not yet set (NaN) is written as null and read back as NaN.
      best: z
        .number()
        .nullable()
        .transform((best) => best ?? Number.NaN),
      bestEpoch: z.number().int(),
      wait: count,
      metrics: epochMetricsSchema.optional(),
    })
    .optional(),
  trainable: z.array(z.string()).optional(),
});

/** Schema of {@link ProvenanceEntry}. */
export const provenanceEntrySchema = z.object({
  strategy: z.string(),
  strategyVersion: z.string().optional(),
  options: z.record(z.string(), z.unknown()),
  defaults: z.record(z.string(), z.unknown()).optional(),
  data: z.object({ file: z.string(), sha256: z.string().optional(), format: z.string() }).optional(),
  backend: z.string(),
  engine: z.string().optional(),
  device: z.string().optional(),
  parent: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  lrFind: z
    .object({
      lr: z.number().positive(),
      rule: z.string(),
      startLr: z.number().positive(),
      endLr: z.number().positive(),
      steps: count,
      tested: count,
      phase: z.string(),
    })
    .optional(),
  augment: z.string().optional(),
});

/**
 * Schema of {@link CheckpointManifest}. The spec is only required to be present here; it is
 * validated by `validateSpec`, whose messages name the layer.
 */
export const checkpointManifestSchema = z.object({
  format: z.literal('headstart'),
  version: z.number().int().positive(),
  spec: z.custom<unknown>((value) => value !== undefined, 'Invalid input: expected a model spec'),
  labels: z
    .array(z.union([z.string(), z.number()]))
    .min(1, 'expected at least one label')
    .optional(),
  featureNames: z.array(z.string()).optional(),
  preprocessing: preprocessingSchema,
  tokenizer: tokenizerPreprocessingSchema.optional(),
  training: trainingStateSchema.optional(),
  provenance: z.array(provenanceEntrySchema),
  dataSha256: sha256Hex,
  adapter: z
    .object({
      kind: z.literal('lora'),
      base: z.object({ file: z.string().min(1), sha256: sha256Hex }),
      rank: z.number().int().positive(),
      alpha: z.number().positive(),
      targets: z.array(z.string()).min(1),
    })
    .optional(),
});

/**
 * Parse the JSON stored under `__metadata__.headstart`: the format version first (a newer
 * format may have other fields), then every field, then the spec.
 * @throws CheckpointError naming `file` and the field.
 */
export function parseManifest(json: string, file: string): CheckpointManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new CheckpointError(file, 'manifest (__metadata__.headstart) is not valid JSON');
  }
  checkVersion(raw, file);
  const parsed = checkpointManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CheckpointError(file, `manifest: ${fieldPath(issue.path) || '(root)'}: ${issue.message}`);
  }
  return { ...parsed.data, spec: parseSpec(parsed.data.spec, file) };
}

function checkVersion(raw: unknown, file: string): void {
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      file,
      `written by a newer headstart (checkpoint format version ${version}; this version reads up to ${CHECKPOINT_FORMAT_VERSION})`,
    );
  }
}

function parseSpec(spec: unknown, file: string): CheckpointManifest['spec'] {
  try {
    return validateSpec(spec, 'manifest spec');
  } catch (error) {
    if (error instanceof SpecError) throw new CheckpointError(file, error.message, { cause: error });
    throw error;
  }
}

/** `provenance[0].options`, not `provenance.0.options`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}
