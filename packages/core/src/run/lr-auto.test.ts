import { describe, expect, test } from 'vitest';
import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import type { LrFindRecord, ProvenanceEntry } from '../checkpoint/manifest.js';
import type { TrainingEvent } from '../train/events.js';
import { chooseAutoLr } from './lr-auto.js';
import type { TrainingRun } from './run-training.js';

/** A resumable checkpoint whose last provenance entry is `entry` (only what `--resume` of `lr: auto` reads). */
function resumable(entry: Partial<ProvenanceEntry>): Checkpoint {
  const last: ProvenanceEntry = { strategy: 'full-retrain', options: {}, backend: 'onnx', startedAt: '2026-01-01T00:00:00Z', ...entry };
  return { file: 'm.resume.safetensors', manifest: { provenance: [last] } } as unknown as Checkpoint;
}

describe('chooseAutoLr on --resume', () => {
  const events: TrainingEvent[] = [];
  const run = { dryRun: false, emit: (e: TrainingEvent) => events.push(e) } as unknown as TrainingRun;

  test('takes the rate the checkpoint recorded, without a range test', async () => {
    const record: LrFindRecord = { lr: 0.00705, rule: 'valley', startLr: 1e-7, endLr: 10, steps: 100, tested: 87, phase: 'train' };
    const chosen = await chooseAutoLr(run, { lr: 1e-3 }, resumable({ options: { lr: 0.00705 }, lrFind: record }));
    expect(chosen).toEqual({ lr: 0.00705, record });
    expect(events).toEqual([]);
  });

  test('refuses a checkpoint whose run was given its rate', async () => {
    await expect(chooseAutoLr(run, { lr: 1e-3 }, resumable({ options: { lr: 0.01 } }))).rejects.toThrow(
      "--resume: m.resume.safetensors belongs to another run (its lr 0.01, this run's auto); resume with the same flags and data, or delete it to start over",
    );
  });
});
