import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import type { Preprocessing, ProvenanceEntry } from '../checkpoint/manifest.js';
import type { Label } from '../data/dataset.js';
import { HeadstartError } from '../errors.js';

/** What identifies a run, for {@link checkSameRun}. */
export interface RunIdentity {
  /** This run's provenance entry (strategy, parsed options, data file). */
  entry: ProvenanceEntry;
  /** The run's seed. */
  seed: number;
  /** The training set's label map. */
  labels: readonly Label[] | undefined;
  /** Preprocessing applied to every split. */
  preprocessing: Preprocessing;
  /** {@link datasetDigest} of the training set as it trains (after filtering, splitting, preprocessing). */
  dataDigest: string;
  /** The same of the unlabelled set (`--unlabeled`), or null when the run has none. */
  unlabeledDigest: string | null;
}

/**
 * Refuse to resume a checkpoint written by a different run: continuing it with another strategy,
 * backend, options, data, seed, label set, preprocessing or augmentation would silently mix two experiments.
 * @throws HeadstartError `USAGE` naming the first thing that differs.
 */
export function checkSameRun(resume: Checkpoint, run: RunIdentity): void {
  const saved = resume.manifest;
  const entry = saved.provenance[saved.provenance.length - 1];
  const differences: [string, unknown, unknown][] = [
    ['strategy', entry?.strategy, run.entry.strategy],
    // Another backend computes in another order: the promise of weights bit-identical to an uninterrupted run would not hold.
    ['backend', entry?.backend, run.entry.backend],
    ['device', entry?.device ?? 'cpu', run.entry.device ?? 'cpu'],
    ['options', entry?.options, run.entry.options],
    ['data', entry?.data?.sha256 ?? entry?.data?.file, run.entry.data?.sha256 ?? run.entry.data?.file],
    ['seed', saved.training?.seed ?? run.seed, run.seed],
    ['labels', saved.labels, run.labels],
    ['preprocessing', saved.preprocessing, run.preprocessing],
    ['augmentation', entry?.augment, run.entry.augment],
    // The starting checkpoint, by sha-256: another (or a changed) --from would train on other weights, and an adapter would name the wrong base.
    ['starting checkpoint (--from)', entry?.parent, run.entry.parent],
  ];
  for (const [what, before, now] of differences) {
    if (JSON.stringify(before) !== JSON.stringify(now)) refuse(resume.file, difference(what, before, now));
  }
  const digest = saved.training?.dataDigest;
  if (digest !== undefined && digest !== run.dataDigest) {
    refuse(resume.file, 'its training samples differ: another --labels, --per-class, --val-split or changed data');
  }
  const unlabeled = unlabeledDifference(saved.training?.unlabeledDigest, run.unlabeledDigest);
  if (unlabeled) refuse(resume.file, unlabeled);
}

/** How the unlabelled data of the checkpoint's run and this one differ, if they do. */
function unlabeledDifference(before: string | null | undefined, now: string | null): string | undefined {
  // A checkpoint written before the digest was recorded cannot tell; the training data's digest still is checked.
  if (before === now || before === undefined) return undefined;
  if (before === null) return 'it records no unlabelled data, this run gives --unlabeled';
  if (now === null) return 'it was trained with unlabelled data (--unlabeled), this run gives none';
  return 'its unlabelled samples differ: another or changed --unlabeled data';
}

function refuse(file: string, why: string): never {
  throw new HeadstartError(
    'USAGE',
    `--resume: ${file} belongs to another run (${why}); resume with the same flags and data, or delete it to start over`,
  );
}

/** `its seed 5, this run's 6`; for option sets, only the options that differ. */
function difference(what: string, before: unknown, now: unknown): string {
  if (isRecord(before) && isRecord(now)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]),
    );
    const show = (o: Record<string, unknown>): string => keys.map((k) => `${k} ${describe(o[k])}`).join(', ');
    return `its ${what}: ${show(before)}; this run's: ${show(now)}`;
  }
  return `its ${what} ${describe(before)}, this run's ${describe(now)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? 'none';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
