/** One stage of gradual unfreezing: a `ctx.fit` with the top `groups` layer groups trainable. */
export interface UnfreezeStage {
  /** `unfreeze-1`, `unfreeze-2`, … */
  phase: string;
  /** How many layer groups, counted from the top, train in this stage. */
  groups: number;
  epochs: number;
  /** Epochs of the whole run before this stage. */
  startEpoch: number;
}

/**
 * The stages of gradual unfreezing (ULMFiT): the top `headGroups` groups (the new head) train for
 * `every` epochs, then each stage unfreezes one more group for `every` epochs; the stage in which
 * all `totalGroups` train gets the rest. Stops when `epochs` run out, so deep groups may stay frozen.
 */
export function unfreezeSchedule(totalGroups: number, headGroups: number, every: number, epochs: number): UnfreezeStage[] {
  const stages: UnfreezeStage[] = [];
  for (let done = 0, groups = Math.min(headGroups, totalGroups); done < epochs; groups = Math.min(groups + 1, totalGroups)) {
    const length = groups === totalGroups ? epochs - done : Math.min(every, epochs - done);
    stages.push({ phase: `unfreeze-${stages.length + 1}`, groups, epochs: length, startEpoch: done });
    done += length;
  }
  return stages;
}
