import { existsSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { readManifest, resumePath, type TrainingEvent } from '@headstart/core';
import type { RunResult } from './experiment.js';

type Curve = RunResult['curve'];

/**
 * A run's learning curve (every phase's epochs, in order) that survives a resume: the resumable
 * checkpoint holds the current phase's epochs, and a file beside it the phases finished before.
 */
export interface KeptCurve {
  curve: Curve;
  /** Feed every training event of the run. */
  see(event: TrainingEvent): void;
  /** The run finished: its side file goes. */
  done(): Promise<void>;
}

/**
 * The curve of the run writing `checkpoint`, continued from its resumable checkpoint when `resume`.
 * Only with `keep` are earlier phases written beside the checkpoint (runs that may be resumed).
 */
export async function keptCurve(checkpoint: string, { resume, keep }: { resume: boolean; keep: boolean }): Promise<KeptCurve> {
  const side = `${resumePath(checkpoint)}.curve.json`;
  const curve: Curve = resume ? await resumedCurve(checkpoint, side) : [];
  return {
    curve,
    see(event) {
      // Written before the phase's first checkpoint, so every resumable checkpoint has its earlier phases beside it.
      if (keep && event.type === 'epoch-start' && event.epoch === 0) writeFileSync(side, `${JSON.stringify(curve)}\n`);
      if (event.type === 'epoch-end') curve.push(point(event.metrics));
    },
    done: async () => (keep ? rm(side, { force: true }) : undefined),
  };
}

async function resumedCurve(checkpoint: string, side: string): Promise<Curve> {
  const { manifest } = await readManifest(resumePath(checkpoint));
  const earlier = existsSync(side) ? (JSON.parse(await readFile(side, 'utf8')) as Curve) : [];
  return [...earlier, ...(manifest.training?.history ?? []).map(point)];
}

function point(metrics: { loss: number; accuracy?: number | undefined }): Curve[number] {
  return { loss: metrics.loss, ...(metrics.accuracy !== undefined ? { accuracy: metrics.accuracy } : {}) };
}
