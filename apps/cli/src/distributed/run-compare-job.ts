import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckpointInterval, type EventSink, writeFileSafely } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { CliError } from '../cli-error.js';
import type { Experiment, RunResult } from '../experiment/experiment.js';
import { parseExperiment } from '../experiment/read-experiment.js';
import { type ExperimentEnv, pretrain, runArm, sourceCheckpoint } from '../experiment/run-experiment.js';
import { type ExperimentData, loadExperimentData, seedData } from '../experiment/splits.js';
import { firstIssue } from '../file-problems.js';
import { loadStartingPoint } from '../start-point.js';
import { compareJobSchema } from './job-data.js';
import { queueName } from './queue-name.js';

/** Where and how a worker trains the jobs it takes. */
export interface WorkerEnv {
  /** The worker's `--store`: each queue's runs go to `<store>/<queue>/`. */
  store: string;
  checkpointEvery?: CheckpointInterval | undefined;
  emit: EventSink;
  signal: AbortSignal;
}

/** What a finished compare job returns to the coordinator: the engine, and an arm's result. */
export interface CompareJobResult {
  engine: string;
  result?: RunResult | undefined;
}

/**
 * Train one run of a compare grid as a local `compare` trains it (the same functions, data split
 * and seeds), into `<store>/<queue>/checkpoints/`. The job's data is checked first: its shape, then
 * its experiment text exactly as a local experiment file is checked. A run an earlier attempt left
 * half done (a lost worker) continues from its resumable checkpoint.
 * @throws CliError or a user HeadstartError for a job that can never succeed (not retried).
 */
export async function runCompareJob(queue: string, data: unknown, env: WorkerEnv): Promise<CompareJobResult> {
  const parsed = compareJobSchema.safeParse(data);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error.issues);
    throw new CliError(`job data: ${issue.path.join('.') || '(job)'}: ${issue.message}`);
  }
  const job = parsed.data;
  const experiment = await parseExperiment(job.experiment.text, job.experiment.file);
  if (queueName('compare', experiment.name, experiment) !== queue)
    throw new CliError(`job data: its experiment is not the one of queue ${queue}`);
  const { run } = job;
  if (!experiment.seeds.includes(run.seed)) throw new CliError(`job data: seed ${run.seed} is not one of the experiment's seeds`);
  const { backend, availability } = await startBackend(job.backend);
  const out = join(env.store, queue);
  const experimentEnv: ExperimentEnv = {
    backend,
    engine: availability.engine ?? backend.name,
    out,
    emit: env.emit,
    signal: env.signal,
    continueInterrupted: true,
    ...(env.checkpointEvery ? { checkpointEvery: env.checkpointEvery } : {}),
  };
  const seed = seedData(experiment, await experimentData(queue, experiment), run.seed);
  if (run.kind === 'source') {
    if (experiment.source.model) throw new CliError('job data: the experiment starts from a trained model; it pre-trains nothing');
    await pretrain(experiment, seed, run.seed, experimentEnv);
    return { engine: experimentEnv.engine };
  }
  const arm = experiment.arms.find((a) => a.name === run.arm);
  if (!arm) throw new CliError(`job data: the experiment has no strategy named "${run.arm}"`);
  if (!experiment.target.budgets.includes(run.budget))
    throw new CliError(`job data: budget ${run.budget} is not one of the experiment's budgets`);
  const from = arm.from === 'source' ? await loadStartingPoint(experiment.source.model ?? sourceCheckpoint(out, run.seed)) : undefined;
  const result = await runArm(arm, seed, run.budget, run.seed, from, experimentEnv);
  await writeFileSafely(join(out, 'results', `${arm.name}-b${run.budget}-s${run.seed}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return { engine: experimentEnv.engine, result };
}

/** The last experiment's data, loaded once for all the runs of its queue this worker takes. */
let loaded: { key: string; data: Promise<ExperimentData> } | undefined;

function experimentData(queue: string, experiment: Experiment): Promise<ExperimentData> {
  // A data file rewritten since (same experiment, new numbers) is read again.
  const files = [experiment.data, experiment.source.data].filter((f): f is string => f !== undefined);
  const stats = files.map((f) => statSync(f, { throwIfNoEntry: false }));
  // A folder of images can change without its own time changing: it is read for every run.
  if (!stats.every((s) => s?.isFile())) return loadExperimentData(experiment);
  const id = JSON.stringify([queue, ...stats.map((s) => `${s!.size}:${s!.mtimeMs}`)]);
  if (loaded?.key !== id) {
    const data = loadExperimentData(experiment);
    // A failed load is not kept: the next job of the queue tries again.
    data.catch(() => {
      if (loaded?.data === data) loaded = undefined;
    });
    loaded = { key: id, data };
  }
  return loaded.data;
}
