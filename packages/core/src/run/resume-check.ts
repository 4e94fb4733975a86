import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import type { Preprocessing, ProvenanceEntry } from '../checkpoint/manifest.js';
import type { Label } from '../data/dataset.js';
import { HeadstartError } from '../errors.js';

/** What identifies a run, for {@link checkSameRun}. */
export interface RunIdentity {
  /** This run's provenance entry (strategy, parsed options, data). */
  entry: ProvenanceEntry;
  seed: number;
  labels: readonly Label[] | undefined;
  preprocessing: Preprocessing;
}

/**
 * Refuse to resume a checkpoint written by a different run: continuing it with another strategy,
 * options, data, seed, label set or preprocessing would silently mix two experiments.
 * @throws HeadstartError `USAGE` naming the first thing that differs.
 */
export function checkSameRun(resume: Checkpoint, run: RunIdentity): void {
  const saved = resume.manifest;
  const entry = saved.provenance[saved.provenance.length - 1];
  const differences: [string, unknown, unknown][] = [
    ['strategy', entry?.strategy, run.entry.strategy],
    ['options', entry?.options, run.entry.options],
    ['data', entry?.data?.sha256 ?? entry?.data?.file, run.entry.data?.sha256 ?? run.entry.data?.file],
    ['seed', saved.training?.seed ?? run.seed, run.seed],
    ['labels', saved.labels, run.labels],
    ['preprocessing', saved.preprocessing, run.preprocessing],
  ];
  for (const [what, before, now] of differences) {
    if (JSON.stringify(before) !== JSON.stringify(now)) {
      throw new HeadstartError(
        'USAGE',
        `--resume: ${resume.file} belongs to another run (its ${what} ${describe(before)}, this run's ${describe(now)}); resume with the same flags and data, or start over without --resume`,
      );
    }
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? 'none';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
