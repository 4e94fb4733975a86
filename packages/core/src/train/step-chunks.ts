import type { Batch, StepResult, Trainer } from '../backend.js';
import type { CheckpointInterval } from './fit.js';

/** About how long one `stepMany` call may run: Ctrl-C, yields and timed checkpoints wait at most about this long. */
export const CHUNK_MS = 20;
/** Most steps in one call. */
export const MAX_CHUNK_STEPS = 256;
/** Most input bytes in one call (a backend may stack the batches into one buffer). */
export const MAX_CHUNK_BYTES = 16 * 2 ** 20;
/**
 * Calls per epoch at least (for epochs of more than 8 × {@link MIN_CHUNK_STEPS} steps): step events
 * come in a burst after each call, so progress, and whatever reacts to it, lags by at most this
 * fraction of an epoch, about as much as with one step per call.
 */
export const CHUNKS_PER_EPOCH = 8;
/** Fewest steps the epoch fraction limits a call to. */
export const MIN_CHUNK_STEPS = 4;
/**
 * Fewest steps in a phase for `stepMany` to be used at all: a backend may set it up at a cost (onnx
 * builds a second session, 5–30 ms), which only a few hundred steps pay back.
 */
export const MIN_PHASE_STEPS = 256;

/**
 * How many steps the fit loop hands a trainer at once. Without {@link Trainer.stepMany}, always one.
 * With it, in a phase of at least {@link MIN_PHASE_STEPS} steps, as many as take about {@link CHUNK_MS}
 * at the measured time per step, and no more than an eighth of an epoch: small steps, whose fixed cost
 * per call dominates, go several to a call; a step slower than half that goes alone.
 */
export class StepChunks {
  private msPerStep: number | undefined;
  /** The first call of each kind is not timed: it builds the backend's graphs and sessions. */
  private readonly warm = { single: false, many: false };

  private readonly maxSteps: number;
  private readonly many: boolean;

  /**
   * @param batchBytes input bytes of one batch (bounds the stacked inputs of a call)
   * @param stepsPerEpoch steps of an epoch (a call takes at most an eighth of them)
   * @param totalSteps steps of the whole phase (a short one takes its steps one by one)
   * @param now the clock that times calls, in ms (a test gives its own, so sizes do not depend on the machine's load)
   */
  constructor(
    private readonly batchBytes: number,
    stepsPerEpoch: number,
    totalSteps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.maxSteps = Math.min(MAX_CHUNK_STEPS, Math.max(MIN_CHUNK_STEPS, Math.ceil(stepsPerEpoch / CHUNKS_PER_EPOCH)));
    this.many = totalSteps >= MIN_PHASE_STEPS;
  }

  /** Steps for the next call: at least one, at most `limit`. */
  next(trainer: Trainer, limit: number): number {
    if (!this.many || !trainer.stepMany || this.msPerStep === undefined) return Math.min(1, limit);
    const byTime = Math.floor(CHUNK_MS / Math.max(this.msPerStep, 1e-3));
    const byBytes = Math.floor(MAX_CHUNK_BYTES / Math.max(1, this.batchBytes));
    return Math.max(1, Math.min(limit, byTime, byBytes, this.maxSteps));
  }

  /** Take the steps, `lrScales[i]` for `batches[i]`, with one `stepMany` call when there are several. */
  async run(trainer: Trainer, batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> {
    const many = batches.length > 1 && trainer.stepMany !== undefined;
    // The positional lrScale, not `{ lrScale }`: backends written before StepOptions read a number.
    const started = this.now();
    const results = many ? await trainer.stepMany!(batches, lrScales) : [await trainer.step(batches[0]!, lrScales[0]!)];
    if (results.length !== batches.length)
      throw new Error(`the backend's stepMany returned ${results.length} results for ${batches.length} batches`);
    const kind = many ? 'many' : 'single';
    if (this.warm[kind]) this.msPerStep = (this.now() - started) / batches.length;
    this.warm[kind] = true;
    return results;
  }
}

/** Steps from `step` until a step-count checkpoint is due (a chunk ends there); unbounded for timed ones. */
export function stepsUntilCheckpoint(every: CheckpointInterval | undefined, step: number): number {
  if (!every || !('steps' in every) || !(every.steps > 0)) return Number.POSITIVE_INFINITY;
  return every.steps - (step % every.steps);
}
