import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { CliError, EXIT, oneLine } from '../cli-error.js';
import type { Experiment, RunResult } from '../experiment/experiment.js';
import { readExperiment } from '../experiment/read-experiment.js';
import { checkReportSlot } from '../experiment/report-slot.js';
import { writeReport } from '../experiment/write-report.js';
import { interruptSignal } from '../interrupt.js';
import { createReporter, type Reporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { connectQueue } from './connect.js';
import { type CompareJob, type CompareRun, compareJobId } from './job-data.js';
import { ACTIVE_QUEUES, PREFIX, queueName } from './queue-name.js';
import { parseQueueUrl, type QueueUrl, scrub } from './queue-url.js';
import type { CompareJobResult } from './run-compare-job.js';
import { untilAborted } from './until-aborted.js';
import { watchJobs } from './watch-jobs.js';

/** Flags of `headstart compare --queue`. */
export interface QueueCompareFlags {
  out: string;
  queue: string;
  store?: string | undefined;
  backend?: string | undefined;
  json?: boolean | undefined;
}

/** Retries of a run failing for a passing reason (its worker's host lost, a lock still held there). */
const JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: false, removeOnFail: false };

/**
 * `headstart compare EXPERIMENT.yaml --queue URL --store DIR`: queue every run of the grid (the
 * arms of a seed once its source model is trained), wait for workers to train them, and write the
 * same report a local `compare` writes.
 */
export async function compareOnQueue(file: string, flags: QueueCompareFlags): Promise<void> {
  const queue = parseQueueUrl(flags.queue);
  if (!flags.store) throw new CliError('--queue needs --store DIR: the folder where workers write checkpoints (a volume they all reach)');
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const experiment = await readExperiment(file);
  const text = await readFile(file, 'utf8');
  await checkReportSlot(flags.out, experiment);
  const name = queueName('compare', experiment.name, experiment);
  const store = join(resolve(flags.store), name);
  const connection = await connectQueue(queue);
  const jobs = new Queue(name, { connection, prefix: PREFIX });
  const listening = connection.duplicate();
  const events = new QueueEvents(name, { connection: listening, prefix: PREFIX });
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  try {
    await events.waitUntilReady();
    // Runs an earlier coordinator saw finish are trained again, as a local compare reruns every run.
    await jobs.clean(0, 0, 'completed');
    await jobs.clean(0, 0, 'failed');
    await connection.sadd(ACTIVE_QUEUES, name);
    reporter.info(`queue ${name} on ${queue.shown}: waiting for workers (headstart worker --queue ${queue.shown} --store DIR)`);
    const grid = new Grid(experiment, { file: resolve(file), text }, flags.backend, jobs, events, reporter, queue, signal);
    const { results, engine } = await grid.run();
    const located = results.map((r) => ({ ...r, checkpoint: join(store, 'checkpoints', basename(r.checkpoint)) }));
    const title = `headstart — ${experiment.name} (${engine}, on ${grid.workers.size} worker${grid.workers.size === 1 ? '' : 's'}), ${experiment.seeds.length} seed${experiment.seeds.length === 1 ? '' : 's'}`;
    await writeReport(experiment, located, engine, flags.out, reporter, started, title, join(store, 'checkpoints'));
  } finally {
    await connection.srem(ACTIVE_QUEUES, name).catch(() => undefined);
    await events.close().catch(() => undefined);
    await jobs.close().catch(() => undefined);
    listening.disconnect();
    connection.disconnect();
    dispose();
    reporter.close();
  }
}

/** The runs of one grid on the queue, and what became of them. */
class Grid {
  readonly workers = new Set<string>();
  private readonly results = new Map<string, RunResult>();
  private readonly failures: string[] = [];
  private readonly engines = new Set<string>();
  private readonly total: number;

  constructor(
    private readonly experiment: Experiment,
    private readonly source: CompareJob['experiment'],
    private readonly backend: string | undefined,
    private readonly jobs: Queue,
    private readonly events: QueueEvents,
    private readonly reporter: Reporter,
    private readonly queue: QueueUrl,
    private readonly signal: AbortSignal,
  ) {
    const e = experiment;
    this.total = e.seeds.length * e.target.budgets.length * e.arms.length;
    // Every run of the grid waits at once, each with its own listeners: not a leak.
    const runs = this.total + e.seeds.length + 10;
    setMaxListeners(runs, signal);
    jobs.setMaxListeners(runs);
    events.setMaxListeners(runs);
  }

  /** Queue every run, wait for all, and return the results in a local compare's order. */
  async run(): Promise<{ results: RunResult[]; engine: string }> {
    const e = this.experiment;
    const stop = watchJobs(this.events, this.jobs, this.reporter, this.queue, this.workers);
    try {
      await Promise.all(e.seeds.map((seed) => this.seed(seed)));
    } finally {
      stop();
    }
    if (this.signal.aborted)
      throw new CliError('interrupted: the queued runs stay on the queue; run the same command again to wait for them', EXIT.interrupted);
    if (this.failures.length > 0) {
      for (const line of this.failures) this.reporter.warn(line);
      throw new CliError(
        `${this.failures.length} run${this.failures.length === 1 ? '' : 's'} failed, no report written: ${this.failures[0]}`,
        EXIT.failure,
      );
    }
    const results = e.seeds.flatMap((seed) =>
      e.target.budgets.flatMap((budget) => e.arms.map((arm) => this.results.get(key(arm.name, budget, seed))!)),
    );
    if (this.engines.size > 1) this.reporter.warn(`workers trained on different engines: ${[...this.engines].join(', ')}`);
    return { results, engine: [...this.engines][0] ?? '' };
  }

  /** The runs of one seed: arms from scratch at once, arms from the source once it is trained. */
  private async seed(seed: number): Promise<void> {
    const e = this.experiment;
    const needsSource = !e.source.model && e.arms.some((a) => a.from === 'source');
    const source = needsSource ? this.ask({ kind: 'source', seed }, `source model, seed ${seed}`) : Promise.resolve(true);
    await Promise.all(
      e.target.budgets.flatMap((budget) =>
        e.arms.map(async (arm, index) => {
          const label = `${arm.name}, ${budget} labels/class, seed ${seed}`;
          if (arm.from === 'source' && !(await source)) {
            if (!this.signal.aborted) this.failures.push(`${label}: not trained, its source model failed`);
            return;
          }
          await this.ask({ kind: 'arm', arm: arm.name, budget, seed }, label, index);
        }),
      ),
    );
  }

  /** Queue one run and wait for it; false when it failed (recorded in `failures`). */
  private async ask(run: CompareRun, label: string, armIndex?: number): Promise<boolean> {
    const data: CompareJob = { experiment: this.source, ...(this.backend ? { backend: this.backend } : {}), run };
    try {
      const job = await this.jobs.add(label, data, { ...JOB_OPTIONS, jobId: compareJobId(run, armIndex) });
      const outcome = (await untilAborted(job.waitUntilFinished(this.events), this.signal)) as CompareJobResult;
      this.engines.add(outcome.engine);
      if (run.kind === 'arm' && outcome.result) {
        const r = outcome.result;
        this.results.set(key(r.arm, r.budget, r.seed), r);
        this.reporter.emit({
          type: 'log',
          level: 'info',
          message: `[${this.results.size}/${this.total}] ${r.arm}, ${r.budget} labels/class, seed ${r.seed}: accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`,
        });
      }
      return true;
    } catch (error) {
      if (this.signal.aborted) return false;
      this.failures.push(`${label}: ${scrub(oneLine(error instanceof Error ? error.message : String(error)), this.queue)}`);
      return false;
    }
  }
}

function key(arm: string, budget: number, seed: number): string {
  return `${arm}\u0000${budget}\u0000${seed}`;
}
