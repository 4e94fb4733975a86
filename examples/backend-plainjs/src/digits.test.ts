import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, defaultModelSpec, evaluateClassifier, runStrategy, type Dataset, type Preprocessing } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders, stratifiedSplit } from '@headstart/data';
import { fullRetrain } from '@headstart/strategies';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPlainJsBackend } from './base.js';

registerLoaders();

// Real training on the embedded digits (1,797 8×8 images, 10 classes) through core's ordinary
// machinery, as `headstart train --backend plainjs --strategy full-retrain` runs it.
const DIGITS = join(import.meta.dirname, '..', '..', '..', 'data', 'digits', 'digits.csv');
const SCALE: Preprocessing = { kind: 'scale', factor: 16 };

let dir: string;
let train: Dataset;
let test_: Dataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plainjs-digits-'));
  ({ train, test: test_ } = stratifiedSplit(applyPreprocessing(SCALE, await loadDataset(DIGITS)), 0.2, createRng(1)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function trainAndEvaluate(inputShape: number[], options: Record<string, unknown>): Promise<{ accuracy: number; engine: string }> {
  const backend = createPlainJsBackend();
  const shaped = (data: Dataset): Dataset => ({ ...data, sampleShape: inputShape });
  const outcome = await runStrategy({
    strategy: fullRetrain(),
    options,
    backend,
    engine: 'js',
    data: { train: shaped(train) },
    preprocessing: SCALE,
    spec: defaultModelSpec(inputShape, 10),
    seed: 42,
    out: join(dir, `${inputShape.join('x')}.safetensors`),
    emit: () => {},
    signal: new AbortController().signal,
  });
  const { accuracy } = await evaluateClassifier(outcome.result.model, shaped(test_), train.labelMap!);
  return { accuracy, engine: outcome.result.model.engine };
}

test('the default MLP trains to at least 0.95 held-out accuracy on the digits (Adam, 10 epochs)', async () => {
  const { accuracy, engine } = await trainAndEvaluate([64], { epochs: 10, lr: 0.003 });
  expect(engine).toBe('plainjs/js');
  expect(accuracy).toBeGreaterThanOrEqual(0.95);
});

test('the default CNN (conv, max pooling, dense) on the digits as 8×8×1 images reaches at least 0.95 too (6 epochs)', async () => {
  const { accuracy } = await trainAndEvaluate([8, 8, 1], { epochs: 6, lr: 0.003 });
  expect(accuracy).toBeGreaterThanOrEqual(0.95);
});
