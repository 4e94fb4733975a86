import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import {
  defaultTextSpecFor,
  InterruptedError,
  readCheckpoint,
  resumePath,
  runStrategy,
  type TokenDataset,
  type TrainingEvent,
  type TrainingRun,
} from '@headstart/core';
import { buildVocabulary, loadTextDataset, TextTokenizer } from '@headstart/data';
import { maskedLmEncoder, pretrainFinetune, train } from '@headstart/strategies';
import { beforeAll, describe, expect, test } from 'vitest';
import { textCorpus, writeTextCorpus } from '../fixtures/text-corpus.js';

let dir: string;
let labelled: TokenDataset;
let unlabelled: TokenDataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-mlm-run-'));
  const rows = textCorpus(240, 7);
  await writeTextCorpus(join(dir, 'labelled.csv'), rows.slice(0, 80));
  await writeTextCorpus(join(dir, 'unlabelled.csv'), rows.slice(80));
  const vocabulary = await buildVocabulary(rows.map((row) => row.text));
  const tokenizer = TextTokenizer.fromJson(vocabulary.json, 'built');
  labelled = await loadTextDataset(join(dir, 'labelled.csv'), { tokenizer, maxLength: 16 });
  unlabelled = await loadTextDataset(join(dir, 'unlabelled.csv'), { tokenizer, maxLength: 16, labelled: false });
});

const OPTIONS = { objective: 'mlm', pretrainEpochs: 2, pretrainLr: 3e-3, epochs: 2, lr: 3e-3, batchSize: 16 };

function mlmRun(out: string, extra: Partial<TrainingRun> = {}): TrainingRun {
  return {
    strategy: pretrainFinetune(),
    options: OPTIONS,
    backend: createOnnxBackend(),
    engine: 'onnx',
    data: { train: labelled, unlabeled: unlabelled },
    preprocessing: { kind: 'none' },
    spec: defaultTextSpecFor(labelled, { layers: 1, width: 16 }),
    seed: 5,
    out,
    emit: () => {},
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('pretrain-finetune objective=mlm through the fit loop (onnx)', () => {
  test('a run interrupted in masked-language pre-training resumes to bit-identical weights', async () => {
    const events: TrainingEvent[] = [];
    const reference = await runStrategy(mlmRun(join(dir, 'ref.safetensors'), { emit: (event) => events.push(event) }));
    // Pre-training: 160 unlabelled sequences, 10 steps an epoch, masked-token loss only (no class accuracy).
    const pretrainEnds = events.filter((e) => e.type === 'epoch-end').slice(0, 2);
    expect(pretrainEnds.map((e) => e.type === 'epoch-end' && e.metrics.accuracy)).toEqual([undefined, undefined]);
    expect(events.filter((e) => e.type === 'step').length).toBe(2 * 10 + 2 * 5);
    const out = join(dir, 'resumed.safetensors');
    const controller = new AbortController();
    let steps = 0;
    const emit = (event: TrainingEvent): void => {
      if (event.type === 'step' && ++steps === 13) controller.abort();
    };
    await expect(runStrategy(mlmRun(out, { emit, signal: controller.signal }))).rejects.toBeInstanceOf(InterruptedError);
    const partial = await readCheckpoint(resumePath(out));
    expect(partial.manifest.training).toMatchObject({ complete: false, phase: 'pretrain', epoch: 1, step: 13 });
    const resumed = await runStrategy(mlmRun(out, { resume: true }));
    const [want, got] = [await reference.result.model.getWeights(), await resumed.result.model.getWeights()];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, tensor] of want) expect(got.get(name)!.data, name).toEqual(tensor.data);
  });

  test('--dry-run reports the masked-language phase’s plan on the token data, then fine-tuning’s, training nothing', async () => {
    const events: TrainingEvent[] = [];
    await runStrategy(mlmRun(join(dir, 'dry.safetensors'), { dryRun: true, emit: (event) => events.push(event) }));
    const plans = events.flatMap((e) => (e.type === 'plan' ? [[e.phase, e.loss, e.transform]] : []));
    expect(plans).toEqual([
      ['pretrain', 'tokenCrossEntropy', 'mask tokens 15%'],
      ['finetune', 'softmaxCrossEntropy', undefined],
    ]);
    expect(events.some((e) => e.type === 'step')).toBe(false);
    expect(events.flatMap((e) => (e.type === 'log' ? [e.message] : []))).toContain(
      'pretrain-finetune: pretrain: masked-language model on 160 sequences (mask tokens 15%): not trained (dry run); head (mlm_transform, mlm_ln, mlm_projector) discarded',
    );
  });

  test('train() takes unlabelled text for objective mlm and refuses features beside text', async () => {
    const backend = createOnnxBackend();
    const model = await train({
      strategy: 'pretrain-finetune',
      options: { objective: 'mlm', pretrainEpochs: 1 },
      data: join(dir, 'labelled.csv'),
      unlabeled: join(dir, 'unlabelled.csv'),
      textColumn: 'text',
      maxLength: 16,
      model: defaultTextSpecFor(labelled, { layers: 1, width: 16 }),
      epochs: 1,
      backend,
      seed: 3,
    });
    expect(model.labels).toEqual(labelled.labelMap);
    await expect(
      train({
        strategy: 'pretrain-finetune',
        options: { objective: 'mlm' },
        data: labelled,
        unlabeled: join(dir, 'unlabelled.csv'),
        backend,
      }),
    ).rejects.toThrow('train: unlabeled: data is a TokenDataset, so unlabeled must be one too');
  });

  test('masked-lm-encoder pre-trains the encoder as pretrain-finetune does, and stops there', async () => {
    const mlmLog = (events: TrainingEvent[]): string[] =>
      events.flatMap((e) => (e.type === 'log' && e.message.includes('masked-language model') ? [e.message] : []));
    const own: TrainingEvent[] = [];
    const theirs: TrainingEvent[] = [];
    const source = await runStrategy(mlmRun(join(dir, 'encoder.safetensors'), { strategy: maskedLmEncoder(), emit: (e) => own.push(e) }));
    await runStrategy(mlmRun(join(dir, 'pf.safetensors'), { emit: (e) => theirs.push(e) }));
    // One phase, masked-language modelling on the unlabelled texts (2 epochs of 10 steps); nothing learns the labels.
    expect(own.flatMap((e) => (e.type === 'epoch-end' ? [e.metrics.accuracy] : []))).toEqual([undefined, undefined]);
    expect(own.filter((e) => e.type === 'step').length).toBe(2 * 10);
    expect(source.result.labels).toEqual(labelled.labelMap);
    expect(source.result.metrics.accuracy).toBeUndefined();
    // The same masks, start and steps as pretrain-finetune's pre-training: the same losses to the digit.
    expect(mlmLog(own)).toHaveLength(1);
    expect(mlmLog(own)).toEqual(mlmLog(theirs));
    // Its checkpoint is the classifier it was given, with the data's tokenizer: what a transfer strategy starts from.
    const saved = await readCheckpoint(join(dir, 'encoder.safetensors'));
    expect(saved.manifest.spec.layers.map((layer) => layer.name)).toEqual(mlmRun('').spec.layers.map((layer) => layer.name));
    expect(saved.manifest.tokenizer?.sha256).toBe(labelled.tokenizer.sha256);
  });
});
