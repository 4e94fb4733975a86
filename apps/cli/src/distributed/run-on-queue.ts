import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FlowProducer, type FlowJob, Queue, QueueEvents } from 'bullmq';
import { CliError, EXIT, oneLine } from '../cli-error.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter, formatMetrics } from '../output/reporter.js';
import type { Pipeline } from '../pipeline/pipeline-schema.js';
import { readPipeline } from '../pipeline/read-pipeline.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { connectQueue } from './connect.js';
import type { StageJob } from './job-data.js';
import { pipelineQueue } from './pipeline-queue.js';
import { ACTIVE_QUEUES, PREFIX } from './queue-name.js';
import { parseQueueUrl, scrub } from './queue-url.js';
import type { StageJobResult } from './run-stage-job.js';
import { untilAborted } from './until-aborted.js';
import { watchJobs } from './watch-jobs.js';

/** Flags of `headstart run --queue`. */
export interface QueueRunFlags {
  queue: string;
  store?: string | undefined;
  resume?: boolean | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
}

/** A stage failing for a passing reason is retried, as a compare run is; a failed stage fails the stages after it. */
const STAGE_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: false,
  removeOnFail: false,
  failParentOnFailure: true,
};

/**
 * `headstart run PIPELINE.yaml --queue URL --store DIR`: the stages as a BullMQ flow (each stage
 * a job whose child is the stage before), trained by workers, each from the previous stage's
 * checkpoint in the store.
 */
export async function runOnQueue(file: string, flags: QueueRunFlags): Promise<void> {
  const queue = parseQueueUrl(flags.queue);
  if (!flags.store) throw new CliError('--queue needs --store DIR: the folder where workers write checkpoints (a volume they all reach)');
  if (flags.dryRun) throw new CliError('--dry-run plans here; drop --queue');
  if (flags.resume) throw new CliError('--resume goes without --queue: queued stages always continue what a lost worker left');
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const pipeline = await readPipeline(file);
  const text = await readFile(file, 'utf8');
  const name = pipelineQueue(resolve(file), pipeline);
  const connection = await connectQueue(queue);
  const jobs = new Queue(name, { connection, prefix: PREFIX });
  const flow = new FlowProducer({ connection, prefix: PREFIX });
  const listening = connection.duplicate();
  const events = new QueueEvents(name, { connection: listening, prefix: PREFIX });
  const { signal, dispose } = interruptSignal();
  const stop = watchJobs(events, jobs, reporter, queue, new Set());
  try {
    await events.waitUntilReady();
    await jobs.clean(0, 0, 'completed');
    await jobs.clean(0, 0, 'failed');
    await connection.sadd(ACTIVE_QUEUES, name);
    reporter.info(`queue ${name} on ${queue.shown}: waiting for workers (headstart worker --queue ${queue.shown} --store DIR)`);
    const root = await flow.add(stageFlow(name, pipeline, { file: resolve(file), text }, pipeline.stages.length - 1));
    const last = (await untilAborted(root.job.waitUntilFinished(events), signal).catch((error: unknown) => {
      if (signal.aborted)
        throw new CliError(
          'interrupted: the queued stages stay on the queue; run the same command again to wait for them',
          EXIT.interrupted,
        );
      throw new CliError(
        `the pipeline failed: ${scrub(oneLine(error instanceof Error ? error.message : String(error)), queue)}`,
        EXIT.failure,
      );
    })) as StageJobResult;
    const checkpoint = join(resolve(flags.store), name, basename(last.checkpoint));
    reporter.info(`pipeline finished: ${checkpoint} — ${formatMetrics(last.metrics)}`);
    reporter.result({ checkpoint, sha256: last.sha256, metrics: last.metrics });
  } finally {
    stop();
    await connection.srem(ACTIVE_QUEUES, name).catch(() => undefined);
    await events.close().catch(() => undefined);
    await flow.close().catch(() => undefined);
    await jobs.close().catch(() => undefined);
    listening.disconnect();
    connection.disconnect();
    dispose();
    reporter.close();
  }
}

/** Stage `index` as a flow job whose child is the stage before it: BullMQ runs children first. */
function stageFlow(queueName: string, pipeline: Pipeline, source: StageJob['pipeline'], index: number): FlowJob {
  const stage = pipeline.stages[index]!;
  const data: StageJob = { pipeline: source, stage: index };
  return {
    name: `stage ${index + 1} "${stage.name}"`,
    queueName,
    data,
    opts: { ...STAGE_OPTIONS, jobId: `stage${index + 1}` },
    ...(index > 0 ? { children: [stageFlow(queueName, pipeline, source, index - 1)] } : {}),
  };
}
