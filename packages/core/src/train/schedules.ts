/** A learning-rate schedule: a factor on every group's base rate, by progress through the phase. */
export type LrSchedule =
  | { type: 'constant'; warmupSteps?: number | undefined }
  /** Multiply by `gamma` every `stepEpochs` epochs. */
  | { type: 'step'; stepEpochs: number; gamma: number; warmupSteps?: number | undefined }
  /** Cosine decay from 1 to `minFactor` over the phase. */
  | { type: 'cosine'; minFactor?: number | undefined; warmupSteps?: number | undefined }
  /** fastai/Smith one-cycle: warm up from 1/divFactor to 1 over `pctStart`, then anneal to 1/(divFactor·finalDivFactor). */
  | { type: 'one-cycle'; pctStart?: number; divFactor?: number; finalDivFactor?: number }
  /** A learning-rate range test (lr-find): grow exponentially from `from` to `to` over `steps` steps, then stay at `to`. */
  | { type: 'exponential'; from: number; to: number; steps: number };

/**
 * The factor for `step` (0-based) of `totalSteps`, where an epoch has `stepsPerEpoch` steps.
 * Pure, so a resumed run gets the same rate at the same step.
 */
export function scheduleFactor(schedule: LrSchedule, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const total = Math.max(1, totalSteps);
  if (schedule.type === 'one-cycle') return oneCycle(schedule, step, total);
  if (schedule.type === 'exponential') return exponential(schedule, step);
  const warmup = schedule.warmupSteps ?? 0;
  const warm = warmup > 0 && step < warmup ? (step + 1) / warmup : 1;
  switch (schedule.type) {
    case 'constant':
      return warm;
    case 'step':
      return warm * schedule.gamma ** Math.floor(step / Math.max(1, stepsPerEpoch) / schedule.stepEpochs);
    case 'cosine': {
      const min = schedule.minFactor ?? 0;
      const progress = Math.min(1, Math.max(0, (step - warmup) / Math.max(1, total - warmup)));
      return warm * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

function oneCycle(s: Extract<LrSchedule, { type: 'one-cycle' }>, step: number, total: number): number {
  const pctStart = s.pctStart ?? 0.25;
  const start = 1 / (s.divFactor ?? 25);
  const end = start / (s.finalDivFactor ?? 1e4);
  const peakAt = Math.max(1, Math.round(total * pctStart));
  const cos = (from: number, to: number, t: number): number => to + ((from - to) / 2) * (1 + Math.cos(Math.PI * t));
  if (step < peakAt) return cos(start, 1, step / peakAt);
  return cos(1, end, Math.min(1, (step - peakAt) / Math.max(1, total - peakAt)));
}

function exponential(s: Extract<LrSchedule, { type: 'exponential' }>, step: number): number {
  const t = s.steps > 1 ? Math.min(1, Math.max(0, step / (s.steps - 1))) : 1;
  return s.from * (s.to / s.from) ** t;
}
