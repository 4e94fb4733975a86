import type { StrategyContext } from '@headstart/core';
import type { LayerGroup } from './layer-groups.js';

/**
 * Log the layer groups a strategy unfreezes or rates apart, top down, one line a group with its
 * rate and its nodes, e.g.
 * ```
 * gradual-unfreeze: 3 layer groups, from the top (each at the rate of the one above × 0.3846):
 *   1. fc        lr 0.01      fc
 *   2. layer1_1  lr 0.003846  layer1_1_conv1, layer1_1_bn1, …
 * ```
 * so that `--dry-run` shows what trains together.
 */
export function announceGroups(ctx: StrategyContext, strategy: string, groups: readonly LayerGroup[], lr: number, lrMult: number): void {
  const rows = groups.map((g, depth) => [`${depth + 1}. ${g.name}`, `lr ${formatRate(lr * lrMult ** depth)}`, g.layers.join(', ')]);
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`);
  const rule = lrMult === 1 ? 'all at one rate' : `each at the rate of the one above × ${formatRate(lrMult)}`;
  const count = `${groups.length} layer group${groups.length === 1 ? '' : 's'}`;
  ctx.emit({ type: 'log', level: 'info', message: [`${strategy}: ${count}, from the top (${rule}):`, ...lines].join('\n') });
}

function formatRate(rate: number): string {
  return String(Number(rate.toPrecision(4)));
}
