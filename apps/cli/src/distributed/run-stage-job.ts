import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deviceName, resumePath } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { readDevice } from '../device.js';
import { CliError } from '../cli-error.js';
import { firstIssue } from '../file-problems.js';
import { parsePipeline } from '../pipeline/read-pipeline.js';
import { trainStage } from '../pipeline/run-pipeline.js';
import { stageCheckpoint } from '../pipeline/stage-resume.js';
import { loadStartingPoint } from '../start-point.js';
import { stageJobSchema } from './job-data.js';
import { pipelineQueue } from './pipeline-queue.js';
import type { WorkerEnv } from './run-compare-job.js';

/** What a finished stage returns to the coordinator. */
export interface StageJobResult {
  engine: string;
  /** The stage's checkpoint as the worker's store names it. */
  checkpoint: string;
  sha256: string;
  metrics: Record<string, number | undefined>;
}

/**
 * Train one stage of a queued pipeline as `headstart run` trains it, from the previous stage's
 * checkpoint in `<store>/<queue>/`. A stage an earlier attempt left half done (a lost worker)
 * continues from its resumable checkpoint; otherwise the stage trains from the start.
 * @throws CliError or a user HeadstartError for a job that can never succeed (not retried).
 */
export async function runStageJob(queue: string, data: unknown, env: WorkerEnv): Promise<StageJobResult> {
  const parsed = stageJobSchema.safeParse(data);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error.issues);
    throw new CliError(`job data: ${issue.path.join('.') || '(job)'}: ${issue.message}`);
  }
  const job = parsed.data;
  const read = await parsePipeline(job.pipeline.text, job.pipeline.file);
  if (pipelineQueue(job.pipeline.file, read) !== queue) throw new CliError(`job data: its pipeline is not the one of queue ${queue}`);
  const stage = read.stages[job.stage];
  if (!stage) throw new CliError(`job data: the pipeline has no stage ${job.stage + 1}`);
  const pipeline = { ...read, out: join(env.store, queue) };
  const before = job.stage > 0 ? stageCheckpoint(pipeline, job.stage - 1, read.stages[job.stage - 1]!) : pipeline.from;
  const from = before ? await loadStartingPoint(before) : undefined;
  const resume = existsSync(resumePath(stageCheckpoint(pipeline, job.stage, stage)));
  if (resume)
    env.emit({ type: 'log', level: 'info', message: `continuing stage ${job.stage + 1} "${stage.name}" from its resumable checkpoint` });
  const device = readDevice(pipeline.device, `${job.pipeline.file}: device`);
  const { backend, availability } = await startBackend(
    pipeline.backend,
    device,
    `${job.pipeline.file}: device`,
    `${job.pipeline.file}: backend`,
  );
  const engine = availability.engine ?? backend.name;
  const outcome = await trainStage(pipeline, job.stage, from, {
    file: job.pipeline.file,
    backend,
    engine,
    device: deviceName(device),
    resume,
    startOver: !resume,
    ...(env.checkpointEvery ? { checkpointEvery: env.checkpointEvery } : {}),
    emit: env.emit,
    signal: env.signal,
  });
  outcome.result.model.dispose();
  return { engine, checkpoint: outcome.checkpoint.file, sha256: outcome.checkpoint.sha256, metrics: outcome.result.metrics };
}
