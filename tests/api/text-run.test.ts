import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import {
  defaultTextSpecFor,
  evaluateClassifier,
  InterruptedError,
  readCheckpoint,
  resumePath,
  runStrategy,
  type TokenDataset,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import { buildVocabulary, loadTextDataset, TextTokenizer } from '@headstart/data';
import { fullRetrain } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';

let dir: string;
let train: TokenDataset;
let test_: TokenDataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-text-run-'));
  const rows = textCorpus(400, 3);
  await writeTextCorpus(join(dir, 'train.csv'), rows.slice(0, 300));
  await writeTextCorpus(join(dir, 'test.jsonl'), rows.slice(300));
  const vocabulary = await buildVocabulary(rows.slice(0, 300).map((row) => row.text));
  const tokenizer = TextTokenizer.fromJson(vocabulary.json, 'built');
  train = await loadTextDataset(join(dir, 'train.csv'), { tokenizer, maxLength: 16 });
  test_ = await loadTextDataset(join(dir, 'test.jsonl'), { tokenizer, maxLength: 16, labelMap: train.labelMap });
});

async function textRun(out: string, extra: Partial<TrainingRun> = {}): Promise<TrainingRun> {
  const backend = createOnnxBackend();
  return {
    strategy: fullRetrain(),
    options: { epochs: 4, lr: 3e-3, batchSize: 16 },
    backend,
    engine: 'onnx',
    data: { train },
    preprocessing: { kind: 'none' },
    spec: defaultTextSpecFor(train),
    seed: 5,
    out,
    emit: () => {},
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('runStrategy on token sequences (onnx)', () => {
  test('an interrupted text run resumes to bit-identical weights', async () => {
    const reference = await runStrategy(await textRun(join(dir, 'ref.safetensors'), { options: { epochs: 2, batchSize: 16 } }));
    const out = join(dir, 'resumed.safetensors');
    const controller = new AbortController();
    let steps = 0;
    const emit = (event: TrainingEvent): void => {
      if (event.type === 'step' && ++steps === 25) controller.abort();
    };
    const interrupted = textRun(out, { options: { epochs: 2, batchSize: 16 }, emit, signal: controller.signal });
    await expect(runStrategy(await interrupted)).rejects.toBeInstanceOf(InterruptedError);
    const partial = await readCheckpoint(resumePath(out));
    expect(partial.manifest.training).toMatchObject({ complete: false, epoch: 1, step: 25 });
    expect(partial.manifest.tokenizer).toEqual(train.tokenizer);
    const resumed = await runStrategy(await textRun(out, { options: { epochs: 2, batchSize: 16 }, resume: true }));
    const [want, got] = [await reference.result.model.getWeights(), await resumed.result.model.getWeights()];
    for (const [name, tensor] of want) expect(got.get(name)!.data, name).toEqual(tensor.data);
    expect((await readCheckpoint(out)).manifest.tokenizer).toEqual(train.tokenizer);
    const evaluation = await evaluateClassifier(resumed.result.model, test_, train.labelMap!);
    expect(evaluation.samples).toBe(100);
  });
});
