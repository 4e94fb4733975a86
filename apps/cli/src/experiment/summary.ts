import type { ArmSummary, Experiment, RunResult } from './experiment.js';

/** Mean ± sample std of accuracy and mean time, per arm and budget, in the experiment's order. */
export function summarize(e: Experiment, results: RunResult[]): ArmSummary[] {
  return e.target.budgets.flatMap((budget) =>
    e.arms.map((arm) => {
      const runs = results.filter((r) => r.arm === arm.name && r.budget === budget);
      const mean = average(runs.map((r) => r.accuracy));
      const std = Math.sqrt(runs.reduce((a, r) => a + (r.accuracy - mean) ** 2, 0) / Math.max(1, runs.length - 1));
      return { arm: arm.name, budget, mean, std, seconds: average(runs.map((r) => r.seconds)), runs: runs.length };
    }),
  );
}

function average(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * A plain-English reading of the results at one budget: which strategy did best, and how each kind of
 * pre-training compared with training from scratch (where the figures say so; nothing is assumed).
 */
export function reading(e: Experiment, summaries: ArmSummary[], budget: number, scratch = 'full-retrain'): string {
  const rows = summaries.filter((s) => s.budget === budget).sort((a, b) => b.mean - a.mean);
  const best = rows[0];
  const base = rows.find((s) => s.arm === scratch);
  if (!best || !base) return '';
  const target = e.target.labels.join(', ');
  const source = e.source.labels.join(', ');
  const parts = [`With ${budget} labels per class of ${target}, ${best.arm} did best (${pct(best.mean)} ± ${pct(best.std)} on held-out images).`];
  const margin = (s: ArmSummary): string => {
    const d = s.mean - base.mean;
    // Differences inside the seeds' spread are not differences.
    if (Math.abs(d) <= Math.max(s.std, base.std)) return `about the same as training from scratch (${pct(s.mean)} vs ${pct(base.mean)})`;
    return `${d > 0 ? 'better' : 'worse'} than training from scratch by ${pct(Math.abs(d))} (${pct(s.mean)} vs ${pct(base.mean)})`;
  };
  const named = (arm: string, lead: string): void => {
    const s = rows.find((r) => r.arm === arm);
    if (s && s !== base) parts.push(`${lead} was ${margin(s)}.`);
  };
  named('frozen-base', `Keeping the network pre-trained on ${source} frozen and training only a new head`);
  named('continued', 'Fine-tuning all of its weights on the new labels');
  named('lp-ft', 'Probing the head first, then fine-tuning everything');
  named('gradual-unfreeze', 'Unfreezing it layer by layer');
  named('pretrain-finetune', 'Pre-training without labels (a denoising autoencoder on unlabelled images) and then fine-tuning');
  parts.push(best.arm === scratch
    ? `Here the pre-trained features did not pay off: ${source} and ${target} differ enough, and the task is easy enough, that a few labels suffice from scratch.`
    : `Pre-training helped: what the network learnt before carried over to the new classes, which ${budget} labels a class alone could not teach as well.`);
  return parts.join(' ');
}
