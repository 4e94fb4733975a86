import type { StrategyContext } from '@headstart/core';

/**
 * Index in `phases` (a strategy's phases in order) of the phase a resumed run continues: the phases
 * before it finished and are skipped. 0 when the run is not resumed.
 */
export function resumedPhaseIndex(ctx: StrategyContext, phases: readonly string[]): number {
  const phase = ctx.resume?.state.phase;
  if (phase === undefined) return 0;
  const index = phases.indexOf(phase);
  if (index < 0) {
    // Options that change the list of phases (unfreezeEvery, greedy) make the saved phase unknown.
    ctx.emit({
      type: 'log',
      level: 'warn',
      message: `--resume: the checkpoint stopped in phase "${phase}", which this run does not have (its phases: ${phases.join(', ')}); starting from the first`,
    });
    return 0;
  }
  return index;
}
