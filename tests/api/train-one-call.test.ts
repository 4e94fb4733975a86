import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { HeadstartError, readCheckpoint, type CheckpointManifest, type ProvenanceEntry } from '@headstart/core';
import { loadDataset, registerLoaders } from '@headstart/data';
import { loadTrained, train } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli } from '../cli/run-cli.js';

let dir: string;
let trainCsv: string;
let testCsv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-train-api-'));
  // Every fifth row held out: the digits rows are interleaved by class, so both files cover every digit.
  const [header, ...rows] = (await readFile(join(ROOT, 'data/digits/digits.csv'), 'utf8')).trim().split('\n');
  trainCsv = join(dir, 'train.csv');
  testCsv = join(dir, 'test.csv');
  await writeFile(trainCsv, `${[header, ...rows.filter((_, i) => i % 5 !== 0)].join('\n')}\n`);
  await writeFile(testCsv, `${[header, ...rows.filter((_, i) => i % 5 === 0)].join('\n')}\n`);
});

/** The provenance of a run without its clock times, which differ between any two runs. */
function timeless(entries: ProvenanceEntry[]) {
  return entries.map(({ startedAt: _s, finishedAt: _f, ...rest }) => rest);
}

/** What two runs of one recipe on one seed write alike: everything but the clock times and the data hash of the file. */
function comparable(manifest: CheckpointManifest) {
  const { dataSha256: _sha, provenance, ...rest } = manifest;
  return { ...rest, provenance: timeless(provenance) };
}

describe('train(): one call on the onnx backend', () => {
  test('reaches a real accuracy, writes the checkpoint the CLI writes, and reloads to the same predictions', async () => {
    const recipe = ['--strategy', 'full-retrain', '--epochs', '8', '--scale', '16', '--seed', '7'];
    const model = await train({ data: trainCsv, strategy: 'full-retrain', backend: createOnnxBackend(), epochs: 8, scale: 16, seed: 7 });
    const evaluation = await model.evaluate(testCsv);
    expect(evaluation.samples).toBe(360);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(model.metrics.valAccuracy).toBeGreaterThanOrEqual(0.9);

    const saved = join(dir, 'api.safetensors');
    await model.save(saved);
    const cliOut = join(dir, 'cli.safetensors');
    const cli = await runCli(['train', ...recipe, '--backend', 'onnx', '--data', trainCsv, '--out', cliOut, '--json']);
    expect(cli.code).toBe(0);
    const [ours, theirs] = await Promise.all([readCheckpoint(saved), readCheckpoint(cliOut)]);
    // Same manifest (feature names, labels, preprocessing, training state, provenance) and bit-identical weights.
    expect(ours.manifest.featureNames).toHaveLength(64);
    expect(ours.manifest.provenance[0]).toMatchObject({
      strategy: 'full-retrain',
      backend: 'onnx',
      device: 'cpu',
      data: { file: trainCsv },
    });
    expect(ours.manifest.provenance[0]!.data!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(comparable(ours.manifest)).toEqual(comparable(theirs.manifest));
    expect(ours.manifest.dataSha256).toBe(theirs.manifest.dataSha256);

    const inspected = await runCli(['inspect', saved]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain('training: complete');
    expect(inspected.stdout).toMatch(/provenance:\n {2}1\. full-retrain on onnx \(.+\), data .+train\.csv \(sha256 [0-9a-f]{12}…\)/);
    expect(inspected.stdout).not.toMatch(/\]\s+no\n/);

    const reloaded = await loadTrained(saved, { backend: createOnnxBackend() });
    const [before, after] = await Promise.all([model.predict(testCsv), reloaded.predict(testCsv)]);
    expect(after).toHaveLength(360);
    expect(after).toEqual(before);
    // A Dataset in memory predicts as its file does.
    registerLoaders();
    const rows = await loadDataset(testCsv, { label: 'label' });
    expect(await reloaded.predict(rows)).toEqual(before);
    expect((await reloaded.evaluate(rows)).accuracy).toBe(evaluation.accuracy);
    model.dispose();
    reloaded.dispose();
  }, 60_000);

  test('continues from a saved checkpoint: its history, its parent and its preprocessing carried on', async () => {
    const base = await train({ data: trainCsv, strategy: 'full-retrain', backend: createOnnxBackend(), epochs: 2, scale: 16 });
    const baseFile = join(dir, 'base.safetensors');
    const { sha256 } = await base.save(baseFile);
    base.dispose();
    const model = await train({ data: trainCsv, strategy: 'continued', from: baseFile, backend: createOnnxBackend(), epochs: 2 });
    expect(model.provenance.map((p) => p.strategy)).toEqual(['full-retrain', 'continued']);
    expect(model.provenance[1]!.parent).toBe(sha256);
    expect(model.manifest.preprocessing).toEqual({ kind: 'scale', factor: 16 });
    expect((await model.evaluate(testCsv)).accuracy).toBeGreaterThanOrEqual(0.85);
    model.dispose();
  }, 30_000);

  test('refuses an unknown option, naming it, before anything trains', async () => {
    const backend = createOnnxBackend();
    const given = { data: trainCsv, strategy: 'full-retrain', backend, epoch: 3 } as unknown as Parameters<typeof train>[0];
    const error = await train(given).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeadstartError);
    expect((error as HeadstartError).code).toBe('BAD_INPUT');
    expect((error as HeadstartError).message).toBe(
      'train: epoch: unknown option; expected one of data, strategy, backend, from, val, valSplit, unlabeled, label, model, epochs, lr, batchSize, options, scale, standardize, augment, textColumn, tokenizer, maxLength, vocabSize, tokenCache, seed, device, onEvent, signal',
    );
    await expect(train({ data: trainCsv, strategy: 'full-retrian', backend })).rejects.toThrow(
      /^train: strategy: unknown strategy "full-retrian"; available: .*full-retrain/,
    );
    await expect(train({ data: trainCsv, strategy: 'continued', backend })).rejects.toThrow(
      'train: from: strategy continued starts from a trained model: give from (a checkpoint path)',
    );
    await expect(train({ data: trainCsv, strategy: 'full-retrain', backend, val: testCsv, valSplit: 0.2 })).rejects.toThrow(
      'train: valSplit: val and valSplit both choose the validation data (a share of data, or a set); give one of them',
    );
    await expect(train({ data: trainCsv, strategy: 'full-retrain', backend, seed: 1.5 })).rejects.toThrow(
      'train: seed: expected a whole number from 0 to 4294967295, got 1.5',
    );
  });

  test('an aborted signal ends the run with INTERRUPTED and says nothing was saved', async () => {
    const error = await train({
      data: trainCsv,
      strategy: 'full-retrain',
      backend: createOnnxBackend(),
      signal: AbortSignal.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeadstartError);
    expect((error as HeadstartError).code).toBe('INTERRUPTED');
    expect((error as HeadstartError).message).toBe('interrupted; the model was kept in memory only, so nothing was saved');
  });

  test('a validation Dataset with its own label order is matched to the training labels', async () => {
    registerLoaders();
    const val = await loadDataset(testCsv, { label: 'label' });
    // The same rows with the label map reversed: index i now means labelMap[9 - i].
    const reversed = { ...val, labelMap: [...val.labelMap!].reverse(), labels: val.labels!.map((l) => 9 - l) };
    const events: string[] = [];
    const model = await train({
      data: trainCsv,
      val: reversed,
      strategy: 'full-retrain',
      backend: createOnnxBackend(),
      epochs: 3,
      scale: 16,
      onEvent: (e) => events.push(e.type),
    });
    expect(events).toContain('epoch-end');
    expect(model.metrics.valAccuracy).toBeGreaterThanOrEqual(0.85);
    expect((await model.evaluate(reversed)).accuracy).toBe(model.metrics.valAccuracy);
    model.dispose();
  }, 30_000);
});

describe('train(): one call on the tfjs backend', () => {
  test('a tiny MLP trains for an epoch, saves a trained checkpoint and reloads to the same predictions', async () => {
    registerLoaders();
    const digits = await loadDataset(trainCsv, { label: 'label' });
    const tiny = { inputShape: [64], layers: [{ type: 'dense', name: 'out', units: 10, activation: 'softmax' }] };
    const model = await train({ data: digits, strategy: 'full-retrain', backend: createTfjsBackend(), model: tiny, epochs: 1, scale: 16 });
    const saved = join(dir, 'tfjs.safetensors');
    await model.save(saved);
    const { manifest } = await readCheckpoint(saved);
    expect(manifest.training).toMatchObject({ complete: true, trainable: ['out.kernel', 'out.bias'] });
    expect(manifest.provenance).toHaveLength(1);
    expect(manifest.provenance[0]).toMatchObject({ strategy: 'full-retrain', backend: 'tfjs', data: { file: trainCsv } });
    expect(manifest.featureNames).toEqual(digits.featureNames);
    const reloaded = await loadTrained(saved, { backend: createTfjsBackend() });
    expect(await reloaded.predict(testCsv)).toEqual(await model.predict(testCsv));
    model.dispose();
    reloaded.dispose();
  }, 60_000);
});
