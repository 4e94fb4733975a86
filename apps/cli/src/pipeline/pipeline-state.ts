import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockOutput, writeFileSafely } from '@headstart/core';
import { CliError } from '../cli-error.js';
import type { StageIdentity } from './stage-identity.js';

/** What a pipeline's output directory records of the stages run into it: index → the stage's definition when it started. */
export interface PipelineState {
  stages: (StageIdentity | null)[];
}

/** `<out>/pipeline.json`: the stages' definitions, and the file the pipeline's lock is named after. */
export function statePath(out: string): string {
  return join(out, 'pipeline.json');
}

/**
 * Lock a pipeline's output directory for the whole run, so a second `run` on the same `out` is
 * refused at once (naming the process) instead of replacing stages this run has finished.
 * @returns a function that releases the lock.
 */
export async function lockPipeline(out: string, onLost: (message: string) => void): Promise<() => Promise<void>> {
  return lockOutput(statePath(out), onLost, { writing: "this pipeline's stages", option: 'out' });
}

/** The recorded state of `out`; no stages when nothing was recorded there. */
export async function readState(out: string): Promise<PipelineState> {
  const file = statePath(out);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { stages: [] };
    throw new CliError(`${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    const state = JSON.parse(text) as Partial<PipelineState>;
    if (Array.isArray(state.stages)) return { stages: state.stages };
  } catch {
    // Reported below, as for any other content that is not a state.
  }
  throw new CliError(`${file}: not a pipeline state (a "stages" list); delete ${out} or choose another out to start over`);
}

/** Replace the recorded state, atomically: a killed run leaves the old state or the new one. */
export async function writeState(out: string, state: PipelineState): Promise<void> {
  await writeFileSafely(statePath(out), `${JSON.stringify(state, null, 2)}\n`);
}
