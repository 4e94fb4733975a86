import type { Experiment } from './experiment.js';

/**
 * The demo's question on the embedded digits: a network learnt 0-4; how best to learn 5-9 from
 * 10 labels each? Every strategy, three seeds, the test set held out of everything.
 */
export function digitsExperiment(data: string, strategies: readonly string[]): Experiment {
  const arms = [
    { name: 'full-retrain', strategy: 'full-retrain', options: { epochs: 40 }, from: 'none' as const },
    { name: 'frozen-base', strategy: 'frozen-base', options: { epochs: 40 }, from: 'source' as const },
    {
      name: 'frozen-base/enc1',
      strategy: 'frozen-base',
      options: { epochs: 40, head: 'enc2' },
      from: 'source' as const,
      description: 'keeping only its first layer, frozen, under a new two-layer head',
    },
    { name: 'continued', strategy: 'continued', options: { epochs: 40, lr: 1e-3 }, from: 'source' as const },
    {
      name: 'continued/enc1',
      strategy: 'continued',
      options: { epochs: 40, lr: 1e-3, head: 'enc2' },
      from: 'source' as const,
      description: 'fine-tuning its first layer under a new two-layer head',
    },
    { name: 'lp-ft', strategy: 'lp-ft', options: { probeEpochs: 30, epochs: 20 }, from: 'source' as const },
    { name: 'gradual-unfreeze', strategy: 'gradual-unfreeze', options: { epochs: 40 }, from: 'source' as const },
    { name: 'pretrain-finetune', strategy: 'pretrain-finetune', options: {}, from: 'none' as const },
  ];
  return {
    name: 'digits 0-4 → 5-9',
    data,
    label: 'label',
    scale: 16,
    source: { labels: [0, 1, 2, 3, 4], strategy: 'full-retrain', options: { epochs: 20 } },
    target: { labels: [5, 6, 7, 8, 9], testFraction: 0.3, budgets: [2, 5, 10] },
    arms: arms.filter((a) => strategies.includes(a.strategy)),
    seeds: [1, 2, 3],
  };
}
