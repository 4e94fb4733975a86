import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import {
  createRng,
  defaultModelSpec,
  runStrategy,
  permutation,
  type Dataset,
  type StartingPoint,
  type AnyStrategy,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import {
  applyPreprocessing,
  filterByLabels,
  loadDataset,
  registerLoaders,
  subset,
} from '@headstart/data';
import { fullRetrain } from '../full-retrain.js';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', '..', 'data', 'digits', 'digits.csv');
const SCALE = { kind: 'scale', factor: 16 } as const;

/** The setting: a model pre-trained on digits 0-4, then 10 labels a class of 5-9 and the rest of 5-9 to test on. */
export interface DigitsTransfer {
  source: StartingPoint;
  few: Dataset;
  rest: Dataset;
  dir: string;
}

/** Pre-train the default MLP on 0-4 (full-retrain, tfjs) and cut the 5-9 data. */
export async function digitsTransfer(): Promise<DigitsTransfer> {
  const all = applyPreprocessing(SCALE, await loadDataset(DIGITS));
  const source = filterByLabels(all, [0, 1, 2, 3, 4]);
  const target = filterByLabels(all, [5, 6, 7, 8, 9]);
  const order = permutation(target.size, createRng(1));
  const perClass = new Map<number, number>();
  const taken = new Set(Array.from(order).filter((i) => {
    const c = target.labels![i]!;
    perClass.set(c, (perClass.get(c) ?? 0) + 1);
    return perClass.get(c)! <= 10;
  }));
  const few = subset(target, [...taken].sort((a, b) => a - b));
  const rest = subset(target, Array.from({ length: target.size }, (_, i) => i).filter((i) => !taken.has(i)));
  const dir = await mkdtemp(join(tmpdir(), 'headstart-transfer-'));
  const pretrained = await runStrategy(await runOf(fullRetrain(), { epochs: 15 }, { train: source }, join(dir, 'source.safetensors')));
  return {
    source: { file: join(dir, 'source.safetensors'), spec: pretrained.result.model.spec, weights: await pretrained.result.model.getWeights(), labels: source.labelMap!, preprocessing: SCALE },
    few,
    rest,
    dir,
  };
}

/** A TrainingRun of `strategy` on the tfjs backend. */
export async function runOf(strategy: AnyStrategy, options: Record<string, unknown>, data: TrainingRun['data'], out: string, extra: Partial<TrainingRun> = {}): Promise<TrainingRun> {
  const backend = createTfjsBackend();
  return {
    strategy,
    options,
    backend,
    engine: (await backend.probe()).engine ?? 'tfjs',
    data,
    preprocessing: SCALE,
    spec: defaultModelSpec((data.train as Dataset).sampleShape, data.train.labelMap!.length),
    seed: 3,
    out,
    emit: () => {},
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Collects events. */
export function recorder(): { events: TrainingEvent[]; emit: (e: TrainingEvent) => void } {
  const events: TrainingEvent[] = [];
  return { events, emit: (e) => events.push(e) };
}
