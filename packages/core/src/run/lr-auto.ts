import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import type { LrFindRecord } from '../checkpoint/manifest.js';
import { HeadstartError } from '../errors.js';
import { DEFAULT_LR_RANGE } from '../train/lr-range.js';
import { findLearningRate } from './lr-find.js';
import type { TrainingJob } from './run-training.js';

/** The rate a run asked to train at `lr: auto` trains at, and how it was chosen (none in a dry run). */
export interface AutoLr {
  lr: number;
  record?: LrFindRecord | undefined;
}

/**
 * Resolve `lr: auto` for a run. A dry run plans at the strategy's default rate and says the rate
 * will be found; a resumed run takes the rate its checkpoint recorded, so it continues exactly
 * (the test is not run again); otherwise an lr-find range test ({@link DEFAULT_LR_RANGE}) on the
 * run's data, start and seed chooses it, so `lr: auto` trains as `lr: <the rate chosen>` would.
 * @param options the strategy's options parsed without `lr` (its default rate in `lr`)
 * @throws HeadstartError `USAGE` when the checkpoint resumed did not choose its rate so.
 */
export async function chooseAutoLr(
  run: TrainingJob & { dryRun?: boolean | undefined },
  options: Record<string, unknown>,
  resume: Checkpoint | undefined,
): Promise<AutoLr> {
  const range = DEFAULT_LR_RANGE;
  const rangeText = `${range.rule} rule, lr ${range.startLr} → ${range.endLr} over ${range.steps} steps`;
  const log = (message: string): void => run.emit({ type: 'log', level: 'info', message });
  if (run.dryRun) {
    log(`lr: auto: an lr-find range test (${rangeText}) will choose the rate before training; the rates below are the strategy's default`);
    return { lr: options.lr as number };
  }
  if (resume) return recordedChoice(resume);
  log(`lr: auto: running an lr-find range test (${rangeText}) to choose the rate`);
  const found = await findLearningRate({
    strategy: run.strategy,
    options,
    backend: run.backend,
    data: run.data,
    ...(run.from ? { from: run.from } : {}),
    spec: run.spec,
    seed: run.seed,
    range,
    emit: () => undefined,
    signal: run.signal,
  });
  const { lr } = found.suggestion;
  const ended = found.stopped === 'diverged' ? `the loss diverged after ${found.points.length} steps` : `${found.points.length} steps`;
  log(`lr: auto: lr-find chose lr ${lr} (${range.rule} rule) from phase "${found.phase}" (${ended})`);
  const record: LrFindRecord = { lr, rule: range.rule, ...pick(range), tested: found.points.length, phase: found.phase };
  return { lr, record };
}

function pick(range: typeof DEFAULT_LR_RANGE): Pick<LrFindRecord, 'startLr' | 'endLr' | 'steps'> {
  return { startLr: range.startLr, endLr: range.endLr, steps: range.steps };
}

function recordedChoice(resume: Checkpoint): AutoLr {
  const entry = resume.manifest.provenance.at(-1);
  if (!entry?.lrFind) {
    throw new HeadstartError(
      'USAGE',
      `--resume: ${resume.file} belongs to another run (its lr ${JSON.stringify(entry?.options.lr ?? null)}, this run's auto); resume with the same flags and data, or delete it to start over`,
    );
  }
  return { lr: entry.lrFind.lr, record: entry.lrFind };
}
