import type { EpochMetrics, Model, Strategy, StrategyContext } from '@headstart/core';
import { gradualUnfreezeOptionsSchema, type GradualUnfreezeOptions } from './gradual-unfreeze-options.js';
import { announceGroups } from './group-listing.js';
import { splitAtHead } from './head.js';
import type { LayerGroup } from './layer-groups.js';
import { checkTrainable, discriminativeGroups, frozenParameters, layerGroupsTopDown, trainableParameters } from './parameter-sets.js';
import { phasePlan } from './phase-plan.js';
import { resumedPhaseIndex } from './resume-phase.js';
import { transferStart, type TransferStart } from './start-model.js';
import { trainHead } from './train-head.js';
import { unfreezeSchedule, type UnfreezeStage } from './unfreeze-schedule.js';
import { VERSION } from './version.js';
import { weightsFor } from './weights.js';

export type { GradualUnfreezeOptions } from './gradual-unfreeze-options.js';

/** What every stage shares. */
interface Unfreezing {
  start: TransferStart;
  /** Layer groups from the top down. */
  groups: LayerGroup[];
  headGroups: number;
  /** Rate of each group relative to the one above. */
  lrMult: number;
  frozen: Set<string>;
  options: GradualUnfreezeOptions;
}

/**
 * `gradual-unfreeze` (ULMFiT, Howard & Ruder 2018): a new head on a pretrained model trains alone
 * for `unfreezeEvery` epochs, then one more layer group below is unfrozen every `unfreezeEvery`
 * epochs until all train or `epochs` (the total) run out. Discriminative rates: each group trains
 * at the rate of the one above divided by `lrFactor`. One `ctx.fit` per stage (`unfreeze-1`, …), the
 * model carried over, so a group is bit-identical to the pretrained one until its stage.
 */
export function gradualUnfreeze(): Strategy<GradualUnfreezeOptions> {
  return {
    name: 'gradual-unfreeze',
    meta: {
      version: VERSION,
      description: 'Train a new head, then unfreeze one layer group more every few epochs, deeper groups at lower rates (ULMFiT).',
    },
    options: gradualUnfreezeOptionsSchema,
    needsStart: 'required',
    async run(ctx, options) {
      const u = unfreezing(ctx, options);
      announceGroups(ctx, 'gradual-unfreeze', u.groups, options.lr, u.lrMult);
      const stages = unfreezeSchedule(u.groups.length, u.headGroups, options.unfreezeEvery, options.epochs);
      checkTrainable(
        u.start.spec,
        u.groups
          .slice(0, Math.max(...stages.map((s) => s.groups)))
          .flatMap((g) => g.params)
          .filter((p) => !u.frozen.has(p)),
      );
      let model: Model | undefined;
      let metrics: EpochMetrics = { loss: Number.NaN };
      let trainable: string[] = [];
      for (const stage of stages.slice(
        resumedPhaseIndex(
          ctx,
          stages.map((s) => s.phase),
        ),
      )) {
        const open = new Set(u.groups.slice(0, stage.groups).flatMap((g) => g.params));
        trainable = trainableParameters(u.start.spec).filter((p) => open.has(p) && !u.frozen.has(p));
        announce(ctx, u, stage);
        ({ model, metrics } = await trainStage(ctx, u, stage, trainable, model));
      }
      return { model: model!, labels: u.start.labels, metrics, trainable };
    },
  };
}

function unfreezing(ctx: StrategyContext, options: GradualUnfreezeOptions): Unfreezing {
  const start = transferStart(ctx, 'gradual-unfreeze', options.head, false);
  const headLayers = splitAtHead(start.spec, start.head).head.layers.map((l) => l.name);
  const groups = layerGroupsTopDown(start.spec, start.head);
  return {
    start,
    groups,
    headGroups: groups.filter((g) => g.layers.every((layer) => headLayers.includes(layer))).length,
    lrMult: options.lrMult ?? 1 / options.lrFactor,
    frozen: frozenParameters(trainableParameters(start.spec), options.freeze),
    options,
  };
}

/**
 * One stage on the model the last one left (a resumed run's first model gets the checkpoint's
 * weights). The head-only first stage trains on cached base features when it can.
 */
async function trainStage(
  ctx: StrategyContext,
  u: Unfreezing,
  stage: UnfreezeStage,
  trainable: string[],
  carried: Model | undefined,
): Promise<{ model: Model; metrics: EpochMetrics }> {
  const options = { ...u.options, epochs: stage.epochs };
  const { spec, weights, head } = u.start;
  // trainHead trains the head at one rate and honours no --freeze, so only a one-group head goes that way.
  if (!carried && stage.phase === 'unfreeze-1' && u.headGroups === 1 && u.frozen.size === 0) {
    const { model, result } = await trainHead(ctx, {
      spec,
      weights,
      head,
      phase: stage.phase,
      options,
      cacheFeatures: options.cacheFeatures,
    });
    return { model, metrics: result.metrics };
  }
  const model = carried ?? (await ctx.createModel(spec, weights));
  const base = splitAtHead(spec, head).base;
  const result = await ctx.fit(
    model,
    phasePlan(ctx, options, {
      phase: stage.phase,
      trainable,
      groups: discriminativeGroups(spec, trainable, options.lr, u.lrMult, options.weightDecay, head),
      // Towards the pretrained base only: the new head has no pretrained values.
      l2sp: { weight: options.l2sp, reference: base ? weightsFor(base, u.start.reference) : new Map() },
    }),
  );
  return { model, metrics: result.metrics };
}

/** Say which group a stage unfreezes, after how many epochs, and at what rate. */
function announce(ctx: StrategyContext, u: Unfreezing, stage: UnfreezeStage): void {
  const { lr, epochs } = u.options;
  const message =
    stage.groups === u.headGroups
      ? `${stage.phase}: training the head (${u.groups
          .slice(0, stage.groups)
          .map((g) => g.name)
          .join(', ')}) alone for ${stage.epochs} of ${epochs} epochs at lr ${lr}`
      : `${stage.phase}: unfroze ${u.groups[stage.groups - 1]!.name} after epoch ${stage.startEpoch} of ${epochs}, at lr ${(lr * u.lrMult ** (stage.groups - 1)).toPrecision(4)}`;
  ctx.emit({ type: 'log', level: 'info', message: `gradual-unfreeze: ${message}` });
}
