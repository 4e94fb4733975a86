import type { Queue, QueueEvents } from 'bullmq';
import type { Reporter } from '../output/reporter.js';
import { type QueueUrl, scrub } from './queue-url.js';

/** What a worker reports of a run at each epoch's end (see serve-queues). */
interface Progress {
  epoch?: number | undefined;
  epochs?: number | undefined;
  loss?: number | undefined;
  worker?: string | undefined;
}

/**
 * Show what workers report while the grid runs: a run taken, each epoch's loss and which worker
 * trains it, a run handed to another worker after its worker was lost. `workers` collects who trained.
 * @returns a function that stops watching.
 */
export function watchJobs(events: QueueEvents, jobs: Queue, reporter: Reporter, queue: QueueUrl, workers: Set<string>): () => void {
  const names = new Map<string, string>();
  const say = (jobId: string, text: string): void => {
    const cached = names.get(jobId);
    const line = (name: string): void => reporter.emit({ type: 'log', level: 'info', message: `${name}: ${text}` });
    if (cached) return line(cached);
    void jobs.getJob(jobId).then(
      (job) => {
        const name = job?.name ?? jobId;
        names.set(jobId, name);
        line(name);
      },
      () => line(jobId),
    );
  };
  const onActive = ({ jobId }: { jobId: string }): void => say(jobId, 'taken by a worker');
  const onProgress = ({ jobId, data }: { jobId: string; data: unknown }): void => {
    const p = (typeof data === 'object' && data !== null ? data : {}) as Progress;
    if (p.worker) workers.add(p.worker);
    const loss = typeof p.loss === 'number' ? `, loss ${p.loss.toFixed(4)}` : '';
    say(jobId, `epoch ${p.epoch ?? '?'}${p.epochs ? `/${p.epochs}` : ''}${loss}${p.worker ? ` (worker ${p.worker})` : ''}`);
  };
  const onStalled = ({ jobId }: { jobId: string }): void => say(jobId, 'its worker was lost; the run goes to another worker');
  const onError = (error: Error): void => reporter.warn(`queue: ${scrub(error.message, queue)}`);
  events.on('active', onActive);
  events.on('progress', onProgress);
  events.on('stalled', onStalled);
  events.on('error', onError);
  return () => {
    events.off('active', onActive);
    events.off('progress', onProgress);
    events.off('stalled', onStalled);
    events.off('error', onError);
  };
}
