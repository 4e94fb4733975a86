import { stat } from 'node:fs/promises';
import { readManifest } from '../checkpoint/checkpoint-file.js';
import type { TrainingState } from '../checkpoint/manifest.js';
import { HeadstartError } from '../errors.js';
import type { FlagPath } from './output-safety.js';
import { resumePath } from './resume-path.js';

/** What a run means to do with a resumable checkpoint left at its output. */
export interface ResumeIntent {
  /** Continue it (`--resume`). */
  resume?: boolean | undefined;
  /** Replace it: the caller restarts its runs anyway (`compare`). */
  startOver?: boolean | undefined;
}

/**
 * What may be at `out`'s resume path when a run starts: nothing, or an interrupted run's resumable
 * checkpoint, which is continued with `resume`, replaced with `startOver`, and otherwise refused so
 * an interrupted run's progress is never discarded silently. Anything else there (a finished model,
 * a file that is no checkpoint) is another run's file: the run would delete it when it ends, so it
 * is always refused.
 * @throws HeadstartError `USAGE`, one line saying what is there and what to do.
 */
export async function checkResumeSlot(out: FlagPath, intent: ResumeIntent): Promise<void> {
  const file = resumePath(out.path);
  if (!(await stat(file).catch(() => undefined))) return;
  const training = await readManifest(file).then(
    (o) => o.manifest.training,
    () => undefined,
  );
  if (!training || training.complete) {
    const what = training ? 'a finished model' : 'not a resumable checkpoint';
    refuse(
      `${out.flag} ${out.path}: ${file} is ${what}, and this output keeps its resumable checkpoint under that name; rename that file or choose another ${out.flag}`,
    );
  }
  if (intent.resume || intent.startOver) return;
  refuse(
    `${out.flag} ${out.path}: an interrupted run left ${file} (${progress(training)}); continue it with --resume, or delete that file to start over`,
  );
}

/** `3 epochs and 1200 steps done in phase finetune`. */
function progress(state: TrainingState): string {
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${count(state.epoch, 'epoch')} and ${count(state.step, 'step')} done${state.phase ? ` in phase ${state.phase}` : ''}`;
}

function refuse(message: string): never {
  throw new HeadstartError('USAGE', message);
}
