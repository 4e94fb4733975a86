import { stat } from 'node:fs/promises';
import { HeadstartError } from '../errors.js';
import { checkOutput, type DerivedFile, type FlagPath } from './output-safety.js';
import { resumePath } from './resume-path.js';
import { checkResumeSlot, type ResumeIntent } from './resume-slot.js';

/** The files a training run writes beside `out`: its resumable checkpoint and its lock. */
export function trainingFiles(out: string): DerivedFile[] {
  return [
    { what: 'resume checkpoint', path: resumePath(out) },
    { what: 'lock', path: `${out}.lock` },
  ];
}

/**
 * The output rule for a training run, checked before anything loads: {@link checkOutput} for `out`
 * with its resume checkpoint and lock, no file in the lock's place, and {@link checkResumeSlot}.
 * When a lock is there the resume slot is left to the run: a live run's checkpoint is then the
 * lock's to refuse, and the run checks the slot once it holds the lock.
 * @param options.inputs what the run reads (`--data`, `--val`, `--unlabeled`, `--from`).
 * @throws HeadstartError `USAGE`, one line naming the flag and the paths.
 */
export async function checkTrainingOutput(
  out: FlagPath,
  options: ResumeIntent & { inputs?: readonly (FlagPath | undefined)[] } = {},
): Promise<void> {
  await checkOutput(out, options.inputs ?? [], trainingFiles(out.path));
  const lock = `${out.path}.lock`;
  const held = await stat(lock).catch(() => undefined);
  if (held && !held.isDirectory()) {
    throw new HeadstartError(
      'USAGE',
      `${out.flag} ${out.path}: ${lock} is a file, not a headstart lock, and this output is locked under that name; rename that file or choose another ${out.flag}`,
    );
  }
  if (!held) await checkResumeSlot(out, options);
}
