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
const points = (x: number): string => `${Math.abs(x * 100).toFixed(1)} points`;

const DESCRIPTIONS: Record<string, string> = {
  'frozen-base': 'keeping the pre-trained network frozen and training only a new head',
  continued: 'fine-tuning all of its weights',
  'lp-ft': 'probing a new head first, then fine-tuning everything',
  'gradual-unfreeze': 'unfreezing it layer by layer',
  lora: 'training low-rank adapters (LoRA) and a new head on the frozen network',
  'pretrain-finetune': 'pre-training without labels (a denoising autoencoder) and then fine-tuning',
};

/**
 * A plain-English reading of the results: which strategy did best at the smallest and largest label
 * budget, and how each kind of pre-training compared with training from scratch. It states only what
 * the figures show; a difference inside the seeds' spread is called no difference.
 */
export function reading(e: Experiment, summaries: ArmSummary[]): string {
  // The baseline is training from scratch, whatever the experiment calls it.
  const scratch = e.arms.find((a) => a.strategy === 'full-retrain' && a.from === 'none')?.name ?? 'full-retrain';
  const budgets = e.target.budgets;
  const at = (arm: string, budget: number): ArmSummary | undefined => summaries.find((s) => s.arm === arm && s.budget === budget);
  const bestAt = (budget: number): ArmSummary => summaries.filter((s) => s.budget === budget).sort((a, b) => b.mean - a.mean)[0]!;
  const [low, high] = [budgets[0]!, budgets[budgets.length - 1]!];
  const target = e.target.labels ? e.target.labels.join(e.target.labels.length === 2 ? ' or ' : ', ') : 'the target classes';
  const sourceName = e.source.labels
    ? e.source.labels.join(', ')
    : e.source.model
      ? 'the given model'
      : e.text
        ? 'the texts without their labels'
        : 'the source data';
  const parts = [
    `Learning ${target} after pre-training on ${sourceName}: with ${low} label${low === 1 ? '' : 's'} a class ${bestAt(low).arm} did best (${pct(bestAt(low).mean)})` +
      (high !== low ? `, with ${high} ${bestAt(high).arm} (${pct(bestAt(high).mean)}).` : '.'),
  ];
  const compared = e.arms
    .filter((a) => a.name !== scratch && at(scratch, low))
    .map((arm) => {
      const diffs = budgets
        .map((b) => {
          const [s, base] = [at(arm.name, b), at(scratch, b)];
          return s && base ? { d: s.mean - base.mean, noise: Math.max(s.std, base.std) } : undefined;
        })
        .filter((x): x is { d: number; noise: number } => x !== undefined);
      const verdict = diffs.every((x) => Math.abs(x.d) <= x.noise)
        ? 'was level with training from scratch'
        : diffs.every((x) => x.d > 0)
          ? `beat training from scratch by ${points(Math.min(...diffs.map((x) => x.d)))} to ${points(Math.max(...diffs.map((x) => x.d)))}`
          : diffs.every((x) => x.d < 0)
            ? `trailed training from scratch by ${points(Math.max(...diffs.map((x) => x.d)))} to ${points(Math.min(...diffs.map((x) => x.d)))}`
            : 'beat training from scratch at some budgets and trailed it at others';
      return {
        arm: arm.name,
        cutsLower: arm.from === 'source' && typeof arm.options.head === 'string',
        description: arm.description ?? DESCRIPTIONS[arm.strategy] ?? arm.strategy,
        verdict,
        mean: diffs.reduce((a, x) => a + x.d, 0) / Math.max(1, diffs.length),
      };
    });
  for (const c of compared) parts.push(`${capitalize(c.description)} (${c.arm}) ${c.verdict}.`);
  const helped = compared.filter((c) => c.mean > 0 && !c.verdict.startsWith('was level'));
  const lowerCuts = compared.filter((c) => c.cutsLower && c.verdict.startsWith('was level'));
  const source = sourceName;
  if (helped.length > 0) {
    parts.push(
      `Pre-training paid off for ${helped.map((c) => c.arm).join(', ')}: what was learnt beforehand made up for labels the ${e.text ? 'task' : 'new classes'} did not have.`,
    );
  } else {
    parts.push(
      e.text
        ? 'Here no kind of pre-training beat training from scratch at these label budgets.'
        : 'Here no kind of pre-training beat training from scratch: on these small, clean images a few labels already go a long way.',
    );
  }
  if (lowerCuts.length > 0) {
    parts.push(
      `Keeping less of the network pre-trained on ${source} (${lowerCuts.map((c) => c.arm).join(', ')}) lost nothing where keeping all of it cost accuracy: its early layers carry over, its later ones are specific to the classes it was trained on.`,
    );
  }
  if (e.seeds.length === 1)
    parts.push('With one seed there is no spread to judge these differences by: run every seed before trusting them.');
  return parts.join(' ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
