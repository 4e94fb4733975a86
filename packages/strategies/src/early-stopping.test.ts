import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { createRng, defaultModelSpec, evaluateClassifier, runStrategy, type TrainingEvent } from '@headstart/core';
import { applyPreprocessing, computePreprocessing, loadDataset, registerLoaders, stratifiedSplit } from '@headstart/data';
import { expect, test } from 'vitest';
import { fullRetrain } from './full-retrain.js';

registerLoaders();

const DIGITS = join(import.meta.dirname, '..', '..', '..', 'data', 'digits', 'digits.csv');

test('early stopping halts after `patience` epochs without val-loss improvement and restores the best weights', async () => {
  const raw = await loadDataset(DIGITS);
  const { train, test: val } = stratifiedSplit(raw, 0.3, createRng(1));
  const pre = computePreprocessing('scale', train, 16);
  const backend = createTfjsBackend();
  const events: TrainingEvent[] = [];
  // A large learning rate overfits fast, so validation loss turns up well before 60 epochs.
  const outcome = await runStrategy({
    strategy: fullRetrain(),
    options: { epochs: 60, lr: 0.01, patience: 3 },
    backend,
    engine: 'cpu',
    data: { train: applyPreprocessing(pre, train), val: applyPreprocessing(pre, val) },
    preprocessing: pre,
    spec: defaultModelSpec([64], 10),
    seed: 5,
    out: join(await mkdtemp(join(tmpdir(), 'headstart-es-')), 'm.safetensors'),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
  });
  const epochs = events.filter((e): e is Extract<TrainingEvent, { type: 'epoch-end' }> => e.type === 'epoch-end');
  const stop = events.find((e): e is Extract<TrainingEvent, { type: 'early-stop' }> => e.type === 'early-stop');
  expect(stop).toBeDefined();
  expect(epochs.length).toBeLessThan(60);
  expect(epochs.length - 1 - stop!.bestEpoch).toBe(3);
  const best = Math.min(...epochs.map((e) => e.metrics.valLoss!));
  expect(stop!.best).toBe(best);
  expect(outcome.result.metrics.valLoss).toBe(best);
  const now = await evaluateClassifier(outcome.result.model, applyPreprocessing(pre, val), val.labelMap!);
  expect(now.loss).toBeCloseTo(best, 6);
});
