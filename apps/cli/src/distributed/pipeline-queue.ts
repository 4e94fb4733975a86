import { basename, extname } from 'node:path';
import type { Pipeline } from '../pipeline/pipeline-schema.js';
import { queueName } from './queue-name.js';

/** The queue of a pipeline: named after its file, keyed by its whole definition. */
export function pipelineQueue(file: string, pipeline: Pipeline): string {
  return queueName('run', basename(file, extname(file)), pipeline);
}
