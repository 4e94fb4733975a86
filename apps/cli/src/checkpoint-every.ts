import type { CheckpointInterval } from '@headstart/core';
import { CliError } from './cli-error.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * `--checkpoint-every`: `500` (steps), `30s`, `5m` or `1h`; `0` for epoch ends only.
 * @throws CliError naming the flag and the forms it takes.
 */
export function parseCheckpointEvery(text: string | undefined): CheckpointInterval | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(text.trim());
  if (!match) throw new CliError(`--checkpoint-every ${text}: expected steps (500) or a time (30s, 5m, 1h)`);
  const value = Number(match[1]);
  if (!match[2]) {
    if (!Number.isInteger(value)) throw new CliError(`--checkpoint-every ${text}: steps must be a whole number`);
    return { steps: value };
  }
  return { seconds: value * UNITS[match[2]]! };
}
