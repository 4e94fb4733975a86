import type { StepOptions } from '../backend.js';
import { HeadstartError } from '../errors.js';

/** The options {@link StepOptions} has; anything else is refused. */
const STEP_OPTIONS: readonly string[] = ['lrScale'] satisfies (keyof StepOptions)[];

/**
 * The learning-rate factor of one `Trainer.step`: `options.lrScale`, a bare number (the positional
 * form backends written before {@link StepOptions} take, which core's loop still passes), or 1.
 * @throws HeadstartError (BAD_INPUT) for an unknown option or a factor that is not a number ≥ 0.
 */
export function stepLrScale(options: StepOptions | number | undefined): number {
  if (options === undefined) return 1;
  // Anything but an object is read as the positional factor, so a string or null gets the factor's message.
  if (typeof options !== 'object' || options === null) return checkScale(options);
  const unknown = Object.keys(options).find((key) => !STEP_OPTIONS.includes(key));
  if (unknown !== undefined)
    throw new HeadstartError('BAD_INPUT', `trainer.step: unknown option "${unknown}"; the options are ${STEP_OPTIONS.join(', ')}`);
  return options.lrScale === undefined ? 1 : checkScale(options.lrScale);
}

function checkScale(lrScale: unknown): number {
  if (typeof lrScale === 'number' && lrScale >= 0 && Number.isFinite(lrScale)) return lrScale;
  throw new HeadstartError('BAD_INPUT', `lrScale must be a finite number ≥ 0, got ${String(lrScale)}`);
}
