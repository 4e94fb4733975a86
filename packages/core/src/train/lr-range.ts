import type { LrSchedule } from './schedules.js';
import { scheduleFactor } from './schedules.js';

/** How a suggestion is read off a range test's curve (see {@link suggestLr}). */
export type LrRule = 'valley' | 'minimum';

/** The rules, for flags and option checks. */
export const LR_RULES: readonly LrRule[] = ['valley', 'minimum'];

/** What the rules say, for output that shows the rule beside the curve. */
export const LR_RULE_DESCRIPTIONS: Record<LrRule, string> = {
  valley: 'the longest descending stretch of the smoothed loss, two thirds of the way down it (fastai "valley")',
  minimum: 'a tenth of the rate where the smoothed loss is lowest (fastai "minimum")',
};

/** A learning-rate range test: its rates, its length and the rule that suggests a rate. */
export interface LrRangeSettings {
  /** Rate of the first step. Rates are the top parameter group's; every other group keeps its ratio to it. */
  startLr: number;
  /** Rate of the last step; above `startLr`. */
  endLr: number;
  /** Steps of the test (fewer when the loss diverges first). */
  steps: number;
  rule: LrRule;
}

/** fastai's `lr_find` defaults. */
export const DEFAULT_LR_RANGE: LrRangeSettings = { startLr: 1e-7, endLr: 10, steps: 100, rule: 'valley' };

/** One step of a range test: its rate, its batch's loss and the smoothed loss so far. */
export interface LrPoint {
  lr: number;
  loss: number;
  smoothed: number;
}

/** What a rule suggests: the rate and the point it was read at. */
export interface LrSuggestion {
  lr: number;
  rule: LrRule;
  /** Index of the point in the test's points. */
  index: number;
}

/** The smoothed loss stops the test once it exceeds the best one by this factor (fastai's `stop_div`). */
export const DIVERGENCE_FACTOR = 4;

/**
 * The schedule of a range test on a phase whose top group's base rate is `reference`: a factor on
 * every group's rate, so step `i`'s top rate grows exponentially from `startLr` to `endLr` and
 * discriminative groups keep their ratios to it.
 */
export function rangeSchedule(settings: LrRangeSettings, reference: number): LrSchedule {
  return { type: 'exponential', from: settings.startLr / reference, to: settings.endLr / reference, steps: settings.steps };
}

/** The top group's rate at `step` of a range test. */
export function rangeLr(settings: LrRangeSettings, step: number): number {
  return scheduleFactor(rangeSchedule(settings, 1), step, settings.steps, settings.steps);
}

/**
 * An exponential moving average of the loss with fastai's debiasing (β = 0.98), so the first
 * values are not dragged towards zero.
 */
export class LossSmoother {
  private average = 0;
  private count = 0;

  constructor(private readonly beta = 0.98) {}

  /** Add a step's loss; returns the smoothed loss so far. */
  add(loss: number): number {
    this.count++;
    this.average = this.beta * this.average + (1 - this.beta) * loss;
    return this.average / (1 - this.beta ** this.count);
  }
}

/**
 * The points a rule reads: as fastai, without the first tenth of the planned steps (the loss has
 * barely moved) and the last five recorded (where it takes off).
 */
export function ruleWindow(points: readonly LrPoint[], settings: LrRangeSettings): { from: number; to: number } {
  return { from: Math.floor(settings.steps / 10), to: points.length - 5 };
}

/** Fewest points a rule reads; a shorter curve says nothing. */
export const MIN_RULE_POINTS = 3;

/**
 * The rate `settings.rule` suggests from a range test's points, or undefined when the test stopped
 * too early to leave {@link MIN_RULE_POINTS} points in the {@link ruleWindow}.
 * - `valley`: the longest descending subsequence of the smoothed loss, then a point two thirds of
 *   the way along it (fastai's default; robust where the steepest gradient is noisy).
 * - `minimum`: a tenth of the rate of the lowest smoothed loss.
 * Suggestions are rounded to three significant digits, so the rate printed is the rate trained.
 */
export function suggestLr(points: readonly LrPoint[], settings: LrRangeSettings): LrSuggestion | undefined {
  const { from, to } = ruleWindow(points, settings);
  if (to - from < MIN_RULE_POINTS) return undefined;
  const losses = points.slice(from, to).map((p) => p.smoothed);
  if (settings.rule === 'minimum') {
    const index = from + losses.indexOf(Math.min(...losses));
    return { lr: round(points[index]!.lr / 10), rule: 'minimum', index };
  }
  const index = from + valleyIndex(losses);
  return { lr: round(points[index]!.lr), rule: 'valley', index };
}

/** fastai's `valley`, as written there (a longest-decreasing-subsequence scan). */
function valleyIndex(losses: readonly number[]): number {
  const n = losses.length;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return Math.max(0, maxStart + Math.trunc(sections) + Math.trunc(sections / 2));
}

function round(lr: number): number {
  return Number(lr.toPrecision(3));
}
