import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resumePath } from '@headstart/core';
import { CliError } from '../cli-error.js';
import type { Pipeline, Stage } from './pipeline-schema.js';
import { statePath, type PipelineState } from './pipeline-state.js';
import { identityDifferences, type StageIdentity } from './stage-identity.js';

/** What an earlier run left of a stage: its final checkpoint, or the resumable checkpoint of an interrupted run. */
export type EarlierStage = 'finished' | 'interrupted';

/** Where each stage's final checkpoint goes. */
export function stageCheckpoint(pipeline: Pipeline, index: number, stage: Pick<Stage, 'name'>): string {
  return join(pipeline.out, `${index + 1}-${stage.name}.safetensors`);
}

/** What an earlier run left at a stage's checkpoint path `out`, if anything. */
export function earlierStage(out: string): EarlierStage | undefined {
  if (existsSync(resumePath(out))) return 'interrupted';
  return existsSync(out) ? 'finished' : undefined;
}

/**
 * Before a run without `--resume`: refuse when `out` holds checkpoints of an earlier run (of this
 * pipeline's stages or of stages it recorded), which this run would replace or orphan.
 * @param file the pipeline file, for the message.
 * @throws CliError naming the files, how to continue and how to start over.
 */
export function refuseEarlierRun(file: string, pipeline: Pipeline, state: PipelineState): void {
  const recorded = state.stages.flatMap((s, index) => (typeof s?.name === 'string' ? [{ index, name: s.name }] : []));
  const stages = [...pipeline.stages.map((stage, index) => ({ index, name: stage.name })), ...recorded];
  const left = stages.flatMap(({ index, name }) => {
    const out = stageCheckpoint(pipeline, index, { name });
    return [out, resumePath(out)].filter((f) => existsSync(f)).map((f) => basename(f));
  });
  const files = [...new Set(left)];
  if (files.length === 0) return;
  throw new CliError(
    `${file}: ${pipeline.out} holds stages of an earlier run (${files.join(', ')}); continue it with --resume, or start over: delete ${pipeline.out} or choose another out`,
  );
}

/**
 * Before `--resume` trains anything: a stage whose checkpoint is gone while a later stage's is
 * there would be retrained, and the later one then refused as built on another parent; say so now.
 * @throws CliError naming the missing stage and the later one.
 */
export function refuseGap(file: string, pipeline: Pipeline): void {
  const left = pipeline.stages.map((stage, index) => earlierStage(stageCheckpoint(pipeline, index, stage)));
  const gap = left.findIndex((earlier, index) => earlier === undefined && left.slice(index + 1).some((later) => later !== undefined));
  if (gap < 0) return;
  const later = left.findIndex((earlier, index) => index > gap && earlier !== undefined);
  const name = (index: number): string => `stages[${index}] "${pipeline.stages[index]!.name}"`;
  throw new CliError(
    `${file}: --resume: ${name(gap)} has no checkpoint in ${pipeline.out} but ${name(later)} has one, built on it; put the file back, or start over: delete ${pipeline.out} or choose another out`,
  );
}

/**
 * Before `--resume` skips a finished stage or continues an interrupted one: the stage's definition
 * now must be the one recorded when it ran.
 * @throws CliError naming the stage and every field that differs, or that nothing was recorded.
 */
export function checkSameStage(
  file: string,
  pipeline: Pipeline,
  index: number,
  stage: Stage,
  earlier: EarlierStage,
  recorded: StageIdentity | null | undefined,
  now: StageIdentity,
): void {
  const out = stageCheckpoint(pipeline, index, stage);
  const left = earlier === 'finished' ? out : resumePath(out);
  const where = `${file}: stages[${index}] "${stage.name}": --resume`;
  const startOver = `start over: delete ${pipeline.out} or choose another out`;
  if (!recorded)
    throw new CliError(
      `${where}: ${left} has no record of the definition it was trained with (in ${statePath(pipeline.out)}); ${startOver}`,
    );
  const differences = identityDifferences(recorded, now);
  if (differences.length === 0) return;
  const was = earlier === 'finished' ? 'finished' : 'started';
  throw new CliError(
    `${where}: ${basename(left)} was ${was} with another definition (${differences.join('; ')}); resume with the stage as it was, or ${startOver}`,
  );
}
