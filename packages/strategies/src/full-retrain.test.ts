import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import {
  createRng,
  defaultModelSpec,
  evaluateClassifier,
  initializeWeights,
  InterruptedError,
  readCheckpoint,
  resumePath,
  runStrategy,
  type Dataset,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import { applyPreprocessing, computePreprocessing, loadDataset, registerLoaders, stratifiedSplit } from '@headstart/data';
import { beforeAll, describe, expect, test } from 'vitest';
import { fullRetrain } from './full-retrain.js';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', 'data', 'digits', 'digits.csv');
let train: Dataset;
let test_: Dataset;
let dir: string;

beforeAll(async () => {
  const raw = await loadDataset(DIGITS, { label: 'label' });
  const split = stratifiedSplit(raw, 0.2, createRng(7));
  const pre = computePreprocessing('scale', split.train, 16);
  train = applyPreprocessing(pre, split.train);
  test_ = applyPreprocessing(pre, split.test);
  dir = await mkdtemp(join(tmpdir(), 'headstart-full-retrain-'));
});

async function baseRun(out: string, overrides: Partial<TrainingRun> = {}): Promise<TrainingRun> {
  const backend = createTfjsBackend();
  const availability = await backend.probe();
  return {
    strategy: fullRetrain(),
    options: { epochs: 4 },
    backend,
    engine: availability.engine ?? 'tfjs',
    data: { train },
    preprocessing: { kind: 'scale', factor: 16 },
    spec: defaultModelSpec([64], 10),
    seed: 11,
    out,
    emit: () => {},
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('full-retrain', () => {
  test('trains the default MLP on digits to ≥ 0.93 held-out accuracy and writes a checkpoint with provenance', async () => {
    const out = join(dir, 'digits.safetensors');
    const outcome = await runStrategy(await baseRun(out, { options: { epochs: 30 } }));
    const evaluation = await evaluateClassifier(outcome.result.model, test_, train.labelMap!);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.93);
    const saved = await readCheckpoint(out);
    expect(saved.manifest.provenance.map((p) => p.strategy)).toEqual(['full-retrain']);
    expect(saved.manifest.training?.trainable).toHaveLength(6);
    expect(saved.weights.get('head.kernel')!.data).toEqual((await outcome.result.model.getWeights()).get('head.kernel')!.data);
  });

  test('the same seed gives bit-identical weights; another seed does not', async () => {
    const a = await runStrategy(await baseRun(join(dir, 'a.safetensors'), { options: { epochs: 2 } }));
    const b = await runStrategy(await baseRun(join(dir, 'b.safetensors'), { options: { epochs: 2 } }));
    const c = await runStrategy(await baseRun(join(dir, 'c.safetensors'), { options: { epochs: 2 }, seed: 12 }));
    const kernel = async (o: typeof a) => (await o.result.model.getWeights()).get('enc1.kernel')!.data;
    expect(await kernel(a)).toEqual(await kernel(b));
    expect(await kernel(a)).not.toEqual(await kernel(c));
  });

  test('an interrupted run resumes to bit-identical weights', async () => {
    const reference = await runStrategy(await baseRun(join(dir, 'ref.safetensors'), { options: { epochs: 3 } }));
    const out = join(dir, 'resumed.safetensors');
    const controller = new AbortController();
    let steps = 0;
    const emit = (event: TrainingEvent): void => {
      if (event.type === 'step' && ++steps === 70) controller.abort();
    };
    await expect(runStrategy(await baseRun(out, { options: { epochs: 3 }, emit, signal: controller.signal }))).rejects.toBeInstanceOf(
      InterruptedError,
    );
    const partial = await readCheckpoint(resumePath(out));
    expect(partial.manifest.training).toMatchObject({ complete: false, epoch: 1, step: 70 });
    const resumed = await runStrategy(await baseRun(out, { options: { epochs: 3 }, resume: true }));
    const [want, got] = [await reference.result.model.getWeights(), await resumed.result.model.getWeights()];
    for (const [name, tensor] of want) expect(got.get(name)!.data, name).toEqual(tensor.data);
  });

  test("a spec given for 5 classes is refused on data with 10 labels; a starting model's 5-class head is resized, and says so", async () => {
    const out = join(dir, 'five.safetensors');
    await expect(runStrategy(await baseRun(out, { spec: defaultModelSpec([64], 5), dryRun: true }))).rejects.toThrow(
      `full-retrain: the model spec's output layer "head" has 5 units but the data has 10 labels; set its units to 10 (a spec you give is trained as written)`,
    );
    const five = defaultModelSpec([64], 5);
    const events: TrainingEvent[] = [];
    const from = { spec: five, weights: initializeWeights(five, createRng(1)), file: 'five.safetensors' };
    await runStrategy(await baseRun(out, { spec: five, from, dryRun: true, emit: (e) => events.push(e) }));
    expect(events.flatMap((e) => (e.type === 'log' ? [e.message] : []))).toContain(
      'full-retrain: head "head" resized from 5 to 10 classes (the data has 10 labels)',
    );
  });

  test('a spec taking 32 features per sample on data with 64 names both counts and the file', async () => {
    const run = await baseRun(join(dir, 'narrow.safetensors'), { spec: defaultModelSpec([32], 10), options: { epochs: 1 } });
    await expect(runStrategy(run)).rejects.toThrow(
      `the model takes 32 features per sample; the training data has 64 (file ${train.source.file})`,
    );
  });

  test('bad options are refused, naming the option and what was given', async () => {
    await expect(runStrategy(await baseRun(join(dir, 'x.safetensors'), { options: { epochs: 'many' } }))).rejects.toThrow(
      'strategy full-retrain: option epochs: expected a number, got "many"',
    );
  });
});
