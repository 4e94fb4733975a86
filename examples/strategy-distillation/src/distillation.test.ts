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
  type Dataset,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import { applyPreprocessing, filterByLabels, loadDataset, registerLoaders, stratifiedSplit, takePerClass } from '@headstart/data';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { distillation } from './distillation.js';
import { distillationOptionsSchema } from './options.js';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', 'data', 'digits', 'digits.csv');
const SCALE = { kind: 'scale', factor: 16 } as const;

/** Three quarters of the digits. */
let train: Dataset;
/** The other quarter, never trained on. */
let heldOut: Dataset;
let dir: string;

beforeAll(async () => {
  const all = applyPreprocessing(SCALE, await loadDataset(DIGITS));
  ({ train, test: heldOut } = stratifiedSplit(all, 0.25, createRng(5)));
  dir = await mkdtemp(join(tmpdir(), 'headstart-distillation-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let runs = 0;

/** A run of distillation on the onnx backend, recording its events. */
function runOf(data: TrainingRun['data'], options: Record<string, unknown>, extra: Partial<TrainingRun> = {}) {
  const events: TrainingEvent[] = [];
  const run: TrainingRun = {
    strategy: distillation(),
    options,
    backend: createOnnxBackend(),
    engine: 'onnxruntime-node',
    data,
    preprocessing: SCALE,
    spec: defaultModelSpec([64], data.train.labelMap!.length),
    seed: 3,
    out: join(dir, `run-${++runs}.safetensors`),
    emit: (event) => events.push(event),
    signal: new AbortController().signal,
    ...extra,
  };
  return { run, events };
}

const epochEnds = (events: TrainingEvent[]) =>
  events.filter((e): e is Extract<TrainingEvent, { type: 'epoch-end' }> => e.type === 'epoch-end');

describe('distillation on the digits', () => {
  test('trains the teacher, then a student of 16 hidden units on its logits, and saves the student', async () => {
    const few = takePerClass(train, 20, createRng(1));
    const { run, events } = runOf({ train: few, val: heldOut }, { epochs: 40, teacherEpochs: 40 });
    const outcome = await runStrategy(run);

    const ends = epochEnds(events);
    expect(ends).toHaveLength(80);
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs).toEqual(['distillation: teacher of 17226 parameters → student of 1210 (T 4, alpha 0.7)']);
    const student = await evaluateClassifier(outcome.result.model, heldOut, few.labelMap!);
    expect(student.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(outcome.result.metrics.teacherValAccuracy).toBe(ends[39]!.metrics.valAccuracy);

    const saved = await readCheckpoint(outcome.checkpoint.file);
    expect(saved.manifest.spec.layers.map((l) => l.name)).toEqual(['s1', 'head']);
    expect(saved.manifest.provenance[0]).toMatchObject({
      strategy: 'distillation',
      strategyVersion: '0.1.0',
      options: { temperature: 4, alpha: 0.7, studentUnits: [16], teacherEpochs: 40 },
    });
  });

  test('--dry-run shows both phases, the student’s distillation loss and its teacher', async () => {
    const { run, events } = runOf({ train: takePerClass(train, 5, createRng(1)) }, { studentUnits: '32,8' }, { dryRun: true });
    await runStrategy(run);
    const plans = events.filter((e): e is Extract<TrainingEvent, { type: 'plan' }> => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.epochs, p.lossOptions, p.teacher])).toEqual([
      ['teacher', 30, undefined, undefined],
      ['student', 30, { distillation: { temperature: 4, alpha: 0.7 } }, 'teacher phase'],
    ]);
    expect(plans[1]!.parameters.map((p) => p.name)).toEqual(['s1.kernel', 's1.bias', 's2.kernel', 's2.bias', 'head.kernel', 'head.bias']);
  });

  test.each([
    ['the student', 16],
    ['the teacher', 4],
  ])('a run interrupted in %s’s phase and resumed ends bit-identical to an unbroken one', async (_, stopAt) => {
    const few = takePerClass(train, 10, createRng(2));
    const options = { epochs: 6, teacherEpochs: 6, batchSize: 16 };
    const unbroken = await runStrategy(runOf({ train: few }, options).run);

    const controller = new AbortController();
    let steps = 0;
    // 7 steps an epoch, 42 a phase: stop mid-epoch in the phase asked for.
    const emit = (event: TrainingEvent): void => {
      if (event.type === 'step' && ++steps === (stopAt === 16 ? 42 + 16 : stopAt)) controller.abort();
    };
    const first = runOf({ train: few }, options, { emit, signal: controller.signal, checkpointEvery: { steps: 3 } });
    await expect(runStrategy(first.run)).rejects.toBeInstanceOf(InterruptedError);
    const resumed = await runStrategy(runOf({ train: few }, options, { out: first.run.out, resume: true }).run);

    const [want, got] = [await readCheckpoint(unbroken.checkpoint.file), await readCheckpoint(resumed.checkpoint.file)];
    for (const [name, tensor] of want.weights)
      expect(Buffer.from(got.weights.get(name)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), name).toBe(true);
  });

  test('a --from teacher trained on other labels is refused in one line naming both', async () => {
    const fiveClasses = filterByLabels(train, [0, 1, 2, 3, 4]);
    const spec = defaultModelSpec([64], 5);
    const teacher = await createOnnxBackend().createModel(spec);
    const from = { file: 'teacher-0-4.safetensors', spec, weights: await teacher.getWeights(), labels: [0, 1, 2, 3, 4] };
    const { run } = runOf({ train: takePerClass(train, 5, createRng(1)) }, {}, { from });
    expect(fiveClasses.labelMap).toEqual([0, 1, 2, 3, 4]);
    await expect(runStrategy(run)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message:
        'distillation: the --from teacher was trained on labels [0, 1, 2, 3, 4], the data has [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]; give a teacher trained on the same labels',
    });
  });
});

describe('distillation options', () => {
  test('defaults, and values from --set strings', () => {
    expect(distillationOptionsSchema.parse({})).toMatchObject({ teacherEpochs: 30, studentUnits: [16], temperature: 4, alpha: 0.7 });
    expect(distillationOptionsSchema.parse({ studentUnits: '32, 8', alpha: '0.5' })).toMatchObject({ studentUnits: [32, 8], alpha: 0.5 });
  });

  test('bad values are refused naming the option', async () => {
    const data = { train: takePerClass(train, 5, createRng(1)) };
    await expect(runStrategy(runOf(data, { alpha: 1.5 }).run)).rejects.toThrow(
      /^strategy distillation: option alpha: Too big: expected number to be <=1$/,
    );
    await expect(runStrategy(runOf(data, { studentUnits: '16,x' }).run)).rejects.toThrow(
      /^strategy distillation: option studentUnits\.1: /,
    );
  });
});
