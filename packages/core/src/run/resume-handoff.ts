import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import { HeadstartError } from '../errors.js';
import type { ModelSpec } from '../spec/model-spec.js';
import type { NamedTensors } from '../tensors.js';

/** How a resumed run gets back the weights it was training. */
export interface ResumeHandoff {
  /** The checkpoint's weights for the first model built with its spec; undefined for any other. */
  take(spec: ModelSpec): NamedTensors | undefined;
  /**
   * Before a phase trains: the phase the checkpoint stopped in must train a model of the
   * checkpoint's spec, or it would continue the saved optimizer state and position on other weights.
   * @throws HeadstartError `USAGE` when it does not.
   */
  checkPhase(phase: string, spec: ModelSpec): void;
}

/** A {@link ResumeHandoff} for `resume` (one that hands out nothing when there is no resume). */
export function resumeHandoff(resume: Checkpoint | undefined): ResumeHandoff {
  let weights = resume?.weights;
  return {
    take(spec) {
      if (!weights || !sameSpec(resume!.manifest.spec, spec)) return undefined;
      const taken = weights;
      weights = undefined;
      return taken;
    },
    checkPhase(phase, spec) {
      if (resume && resume.manifest.training?.phase === phase && !sameSpec(resume.manifest.spec, spec)) {
        throw new HeadstartError(
          'USAGE',
          `--resume: ${resume.file} was training another model (a different --model, --from or --input-shape); resume with the same flags, or delete it to start over`,
        );
      }
    },
  };
}

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
