import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import {
  createRng,
  defaultModelSpec,
  evaluateClassifier,
  InterruptedError,
  readCheckpoint,
  runStrategy,
  type Backend,
  type Dataset,
  type NamedTensors,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import {
  applyPreprocessing,
  filterByLabels,
  loadDataset,
  registerLoaders,
  stratifiedSplit,
  takePerClass,
  withoutLabels,
} from '@headstart/data';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selfTrainingOptionsSchema } from './options.js';
import { predictAll, selectPseudoLabels } from './pseudo-labels.js';
import { selfTraining } from './self-training.js';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', 'data', 'digits', 'digits.csv');
const SCALE = { kind: 'scale', factor: 16 } as const;

/** Three quarters of the digits, labelled (the labels of the pool, for checking pseudo-labels). */
let train: Dataset;
/** The other quarter, never trained on. */
let heldOut: Dataset;
/** `train` without its labels. */
let pool: Dataset;
let dir: string;

beforeAll(async () => {
  const all = applyPreprocessing(SCALE, await loadDataset(DIGITS));
  ({ train, test: heldOut } = stratifiedSplit(all, 0.25, createRng(5)));
  pool = withoutLabels(train);
  dir = await mkdtemp(join(tmpdir(), 'headstart-self-training-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let runs = 0;

/** A run of self-training on the onnx backend, recording its events. */
async function runOf(
  data: TrainingRun['data'],
  options: Record<string, unknown>,
  extra: Partial<TrainingRun> = {},
): Promise<{ run: TrainingRun; events: TrainingEvent[] }> {
  const backend = createOnnxBackend();
  const events: TrainingEvent[] = [];
  const run: TrainingRun = {
    strategy: selfTraining(),
    options,
    backend,
    engine: (await backend.probe()).engine ?? 'onnx',
    data,
    preprocessing: SCALE,
    spec: defaultModelSpec([64], data.train.labelMap!.length),
    seed: 1,
    out: join(dir, `run-${++runs}.safetensors`),
    emit: (event) => events.push(event),
    signal: new AbortController().signal,
    ...extra,
  };
  return { run, events };
}

const epochEnds = (events: TrainingEvent[]) =>
  events.filter((e): e is Extract<TrainingEvent, { type: 'epoch-end' }> => e.type === 'epoch-end');
const logs = (events: TrainingEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

describe('self-training on the digits, 5 labels a class and the rest unlabelled', () => {
  test.each([11, 12])('lifts held-out accuracy well above what the labels alone reach (labels drawn with seed %i)', async (seed) => {
    const few = takePerClass(train, 5, createRng(seed));
    const { run, events } = await runOf(
      { train: few, val: heldOut, unlabeled: pool },
      { epochs: 40, rounds: 5, roundEpochs: 10 },
      { seed: 42 },
    );
    const outcome = await runStrategy(run);

    // Round 0 trains on the 50 labels alone; its last epoch's held-out accuracy is the baseline.
    const ends = epochEnds(events);
    expect(ends).toHaveLength(40 + 5 * 10);
    const labelsAlone = ends[39]!.metrics.valAccuracy!;
    const final = await evaluateClassifier(outcome.result.model, heldOut, few.labelMap!);
    expect(final.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(final.accuracy - labelsAlone).toBeGreaterThanOrEqual(0.025);

    // One log line a pseudo-labelled round, each labelling a bigger share of the pool: 27, 54, … a class.
    const messages = logs(events);
    expect(messages).toHaveLength(5);
    const counts = messages.map((m, i) => {
      const perClass = Math.ceil((pool.size * (i + 1)) / 5 / 10);
      const match = new RegExp(
        `^self-training round ${i + 1}/5: (\\d+) of ${pool.size} unlabelled samples pseudo-labelled \\(at most ${perClass} a class\\); per class 0:\\d+ 1:\\d+ .* 9:\\d+$`,
      ).exec(m);
      expect(match, m).not.toBeNull();
      expect(Number(match![1])).toBeLessThanOrEqual(perClass * 10);
      return Number(match![1]);
    });
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
    expect(outcome.result.metrics.pseudoLabels).toBe(counts.at(-1));

    // The most confident predictions, which the first rounds train on, are right more often than its predictions as a whole.
    const probabilities = await predictAll(outcome.result.model, pool, 10);
    const rightShare = (picked: ReturnType<typeof selectPseudoLabels>) =>
      picked.indices.filter((index, i) => train.labels![index] === picked.classes[i]).length / picked.indices.length;
    const confident = rightShare(selectPseudoLabels(probabilities, 10, { perClass: 27, threshold: 0.5 }));
    const overall = rightShare(selectPseudoLabels(probabilities, 10, { perClass: pool.size, threshold: 0 }));
    expect(confident).toBeGreaterThan(overall);

    const saved = await readCheckpoint(outcome.checkpoint.file);
    expect(saved.manifest.provenance[0]).toMatchObject({
      strategy: 'self-training',
      strategyVersion: '0.1.0',
      options: { rounds: 5, roundEpochs: 10, fraction: 1, threshold: 0.5 },
    });
    expect(saved.manifest.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('from a model trained on 0-4, 5-9 start from its base under a new head', async () => {
    const source = await runOf(
      { train: filterByLabels(train, [0, 1, 2, 3, 4]), unlabeled: pool },
      { epochs: 10, rounds: 1, roundEpochs: 2 },
    );
    const pretrained = await runStrategy(source.run);
    const sourceWeights = await pretrained.result.model.getWeights();
    const from = { file: pretrained.checkpoint.file, spec: pretrained.result.model.spec, weights: sourceWeights, labels: [0, 1, 2, 3, 4] };

    // Watch the weights the strategy creates its model with.
    const onnx = createOnnxBackend();
    const created: NamedTensors[] = [];
    const backend: Backend = {
      ...onnx,
      createModel: (spec, weights, options) => {
        created.push(weights!);
        return onnx.createModel(spec, weights, options);
      },
    };
    const target = filterByLabels(train, [5, 6, 7, 8, 9]);
    const few = takePerClass(target, 5, createRng(4));
    const { run, events } = await runOf(
      { train: few, unlabeled: withoutLabels(target) },
      { epochs: 30, rounds: 2, roundEpochs: 5 },
      { from, backend, dryRun: true },
    );
    await runStrategy(run);

    expect(logs(events)[0]).toBe('self-training: new head (head) for labels [5, 6, 7, 8, 9]');
    expect(created).toHaveLength(1);
    for (const name of ['enc1.kernel', 'enc1.bias', 'enc2.kernel', 'enc2.bias'])
      expect(created[0]!.get(name)!.data, name).toEqual(sourceWeights.get(name)!.data);
    expect(created[0]!.get('head.kernel')!.data).not.toEqual(sourceWeights.get('head.kernel')!.data);
    // A dry run reports each round's plan: every parameter trains, 30 epochs, then 5 a round.
    const plans = events.filter((e): e is Extract<TrainingEvent, { type: 'plan' }> => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.epochs])).toEqual([
      ['round-0', 30],
      ['round-1', 5],
      ['round-2', 5],
    ]);
    expect(plans[0]!.parameters.every((p) => p.trains)).toBe(true);
  });

  test('an interrupted run resumes in the round it stopped in, skipping the finished ones', async () => {
    const few = takePerClass(train, 5, createRng(11));
    const options = { epochs: 40, rounds: 3, roundEpochs: 5 };
    const unbroken = await runStrategy((await runOf({ train: few, unlabeled: pool }, options)).run);

    const controller = new AbortController();
    let epochs = 0;
    const emit = (event: TrainingEvent): void => {
      // Stop in the second epoch of round 2: round 0 has 40 epochs, round 1 has 5.
      if (event.type === 'epoch-end' && ++epochs === 46) controller.abort();
    };
    const first = await runOf({ train: few, unlabeled: pool }, options, { emit, signal: controller.signal });
    await expect(runStrategy(first.run)).rejects.toBeInstanceOf(InterruptedError);

    const resumed = await runOf({ train: few, unlabeled: pool }, options, { out: first.run.out, resume: true });
    const outcome = await runStrategy(resumed.run);
    // The rest of round 2 (4 epochs) and round 3 (5), with pseudo-labels chosen again for both.
    expect(epochEnds(resumed.events)).toHaveLength(9);
    expect(logs(resumed.events).map((m) => m.slice(0, 23))).toEqual(['self-training round 2/3', 'self-training round 3/3']);
    const [a, b] = [
      await evaluateClassifier(unbroken.result.model, heldOut, few.labelMap!),
      await evaluateClassifier(outcome.result.model, heldOut, few.labelMap!),
    ];
    expect(b.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(Math.abs(a.accuracy - b.accuracy)).toBeLessThanOrEqual(0.04);
  });
});

describe('self-training options and refusals', () => {
  test('defaults a practitioner would pick', () => {
    expect(selfTrainingOptionsSchema.parse({})).toMatchObject({
      epochs: 30,
      lr: 1e-3,
      rounds: 5,
      roundEpochs: 10,
      fraction: 1,
      threshold: 0.5,
    });
    expect(selfTrainingOptionsSchema.parse({ threshold: '0.75', rounds: '2' })).toMatchObject({ threshold: 0.75, rounds: 2 });
  });

  test('without unlabelled data it refuses with a usage error', async () => {
    const { run } = await runOf({ train: takePerClass(train, 5, createRng(1)) }, {});
    await expect(runStrategy(run)).rejects.toMatchObject({
      code: 'USAGE',
      message: 'self-training: needs unlabelled data to pseudo-label: give --unlabeled FILE',
    });
  });

  test('bad and unknown options are refused, naming the option', async () => {
    const data = { train: takePerClass(train, 5, createRng(1)), unlabeled: pool };
    await expect(runStrategy((await runOf(data, { threshold: 1.5 })).run)).rejects.toThrow(
      /^strategy self-training: option threshold: Too big: expected number to be <=1$/,
    );
    await expect(runStrategy((await runOf(data, { round: 3 })).run)).rejects.toThrow(
      /^strategy self-training: unknown option "round"; its options are .*rounds, roundEpochs, fraction, threshold$/,
    );
  });
});
