import { createHash } from 'node:crypto';

/** BullMQ's key prefix for headstart's queues. */
export const PREFIX = 'headstart';
/** The Redis set of queue names that coordinators are waiting on: what workers serve. */
export const ACTIVE_QUEUES = `${PREFIX}:active-queues`;

/**
 * The queue of one experiment or pipeline: its kind, its name made safe, and a digest of its
 * whole definition, so two experiments (or two versions of one) never share jobs.
 */
export function queueName(kind: 'compare' | 'run', name: string, definition: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 12);
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${kind}-${slug || 'unnamed'}-${digest}`;
}
