import {
  applyPreprocessing,
  createRng,
  defaultModelSpec,
  evaluateClassifier,
  fitPreprocessing,
  getRegistry,
  loadDataset,
  runTraining,
  stratifiedSplit,
} from '@headstart/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBackend } from '../backend-choice.js';
import { digitsPath } from '../digits-path.js';
import { createReporter, table } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { interruptSignal } from '../interrupt.js';

/** Flags of `headstart demo`. */
export interface DemoFlags {
  backend?: string;
  out: string;
  json?: boolean;
}

const SEEDS = [1, 2, 3];

/**
 * `headstart demo` on the embedded digits: train from scratch on 80% (a stratified split), test on the
 * held-out 20%, over three seeds; print accuracy (mean ± std) and time, and write results.json.
 */
export async function demo(flags: DemoFlags): Promise<void> {
  const reporter = createReporter({ json: flags.json === true });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const { backend, availability } = await startBackend(flags.backend);
  const strategy = await getRegistry().get('strategy', 'full-retrain');
  const raw = await loadDataset(digitsPath(), { label: 'label' });
  const { train, test } = stratifiedSplit(raw, 0.2, createRng(2024));
  const preprocessing = fitPreprocessing('scale', train, 16);
  const [trainData, testData] = [applyPreprocessing(preprocessing, train), applyPreprocessing(preprocessing, test)];
  const spec = defaultModelSpec(trainData.sampleShape, trainData.labelMap!.length);
  const { signal, dispose } = interruptSignal();
  const runs: { seed: number; accuracy: number; loss: number; seconds: number }[] = [];
  try {
    for (const seed of SEEDS) {
      const started = Date.now();
      const outcome = await runTraining({
        strategy, options: { epochs: 30 }, backend, engine: availability.engine ?? backend.name,
        data: { train: trainData }, preprocessing, spec, seed, out: join(flags.out, `full-retrain-seed${seed}.safetensors`),
        emit: (e) => (e.type === 'epoch-end' || e.type === 'run-start' ? reporter.emit(e) : undefined), signal,
      });
      const evaluation = await evaluateClassifier(outcome.result.model, testData, trainData.labelMap!);
      outcome.result.model.dispose();
      runs.push({ seed, accuracy: evaluation.accuracy, loss: evaluation.loss, seconds: (Date.now() - started) / 1000 });
    }
  } finally {
    dispose();
    reporter.close();
  }
  const summary = summarize(runs);
  await mkdir(flags.out, { recursive: true });
  await writeFile(join(flags.out, 'results.json'), `${JSON.stringify({ data: 'digits', split: '80/20 stratified', engine: availability.engine, runs, summary }, null, 2)}\n`);
  reporter.result({ summary, runs, out: flags.out });
  reporter.info(`\nheadstart demo — digits (1,797 8x8 images), trained from scratch on 80%, tested on the held-out 20%, ${availability.engine}\n`);
  reporter.info(table([['strategy', 'test accuracy (mean ± std)', 'time / run'], ['full-retrain', `${summary.mean.toFixed(4)} ± ${summary.std.toFixed(4)}`, `${summary.seconds.toFixed(1)} s`]]));
  reporter.info(`\nresults and checkpoints in ${flags.out}/`);
}

function summarize(runs: { accuracy: number; seconds: number }[]): { mean: number; std: number; seconds: number } {
  const mean = runs.reduce((a, r) => a + r.accuracy, 0) / runs.length;
  const std = Math.sqrt(runs.reduce((a, r) => a + (r.accuracy - mean) ** 2, 0) / Math.max(1, runs.length - 1));
  return { mean, std, seconds: runs.reduce((a, r) => a + r.seconds, 0) / runs.length };
}
