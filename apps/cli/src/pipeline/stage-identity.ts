import { existsSync } from 'node:fs';
import type { StartingPoint } from '@headstart/core';
import { sha256OfPath } from '@headstart/data';
import type { Pipeline, Stage } from './pipeline-schema.js';

/**
 * A stage's definition as a run saw it, field by field: what `--resume` compares before it skips a
 * finished stage or continues an interrupted one. Files are recorded with their sha-256; `parent`
 * is the sha-256 of the checkpoint the stage starts from, so a stage trained again changes the
 * identity of every stage after it.
 */
export type StageIdentity = Record<string, unknown>;

/** What the run knows about a stage besides its definition in the file. */
export interface StageContext {
  /** The strategy's options after its schema (defaults filled in). */
  options: Record<string, unknown>;
  /** What the stage starts from (the previous stage's checkpoint, or the pipeline's `from`); undefined from scratch. */
  from: StartingPoint | undefined;
}

/** The {@link StageIdentity} of stage `index` of `pipeline`. */
export async function stageIdentity(pipeline: Pipeline, index: number, stage: Stage, context: StageContext): Promise<StageIdentity> {
  return {
    name: stage.name,
    strategy: stage.strategy,
    data: await fileIdentity(stage.data),
    val: await fileIdentity(stage.val),
    unlabeled: await fileIdentity(stage.unlabeled),
    label: stage.label,
    labels: stage.labels ?? null,
    perClass: stage.perClass ?? null,
    // Only when given: a stage recorded before augmentation (or text) existed stays the same stage.
    ...(stage.augment ? { augment: stage.augment } : {}),
    ...(stage.textColumn !== undefined ? { textColumn: stage.textColumn } : {}),
    ...(stage.tokenizer !== undefined ? { tokenizer: await fileIdentity(stage.tokenizer) } : {}),
    ...(stage.maxLength !== undefined ? { maxLength: stage.maxLength } : {}),
    ...(stage.vocabSize !== undefined ? { vocabSize: stage.vocabSize } : {}),
    valSplit: stage.valSplit,
    seed: pipeline.seed,
    inputShape: pipeline.inputShape ?? null,
    // Only the first stage fits preprocessing and picks the architecture; later stages inherit both through `parent`.
    ...(index === 0 ? { scale: pipeline.scale ?? null, standardize: pipeline.standardize, model: await fileIdentity(pipeline.model) } : {}),
    options: context.options,
    parent: await parentDigest(context.from),
  };
}

/**
 * The fields of `now` that differ from `before`, as `labels was [0,1], now [0,1,2]`, in field
 * order (options one by one, as `options.lr`; files by their sha-256); empty when the definitions
 * are the same.
 */
export function identityDifferences(before: StageIdentity, now: StageIdentity): string[] {
  const [was, is] = [comparable(before), comparable(now)];
  const fields = [...new Set([...Object.keys(is), ...Object.keys(was)])];
  return fields
    .filter((field) => JSON.stringify(was[field]) !== JSON.stringify(is[field]))
    .map((field) => `${field} was ${show(was[field])}, now ${show(is[field])}`);
}

/** `{ file, sha256 }` → the sha-256 (a moved file is the same data); a record of options → one field per option. */
function comparable(identity: StageIdentity): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(identity).flatMap(([field, value]): [string, unknown][] => {
      if (!isRecord(value)) return [[field, value]];
      if (typeof value.sha256 === 'string') return [[field, value.sha256]];
      return Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([key, v]) => [`${field}.${key}`, v]);
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  const text = typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? `sha256 ${value.slice(0, 12)}…` : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A file as a definition names it: its path and its sha-256; null when no path is given. */
async function fileIdentity(path: string | undefined): Promise<{ file: string; sha256: string } | null> {
  return path === undefined ? null : { file: path, sha256: await sha256OfPath(path) };
}

/** sha-256 of a starting checkpoint, or of an imported model's file (a dry run's planned stage has none). */
async function parentDigest(from: StartingPoint | undefined): Promise<string | null> {
  if (!from) return null;
  return from.sha256 ?? (existsSync(from.file) ? sha256OfPath(from.file) : null);
}
