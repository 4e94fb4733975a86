import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultModelSpec,
  evaluateClassifier,
  InterruptedError,
  readCheckpoint,
  resumePath,
  runStrategy,
  type TrainingEvent,
} from '@headstart/core';
import { subset } from '@headstart/data';
import { beforeAll, describe, expect, test } from 'vitest';
import { fullRetrain } from './full-retrain.js';
import { trainableParameters } from './parameter-sets.js';
import { pretrainFinetune } from './pretrain-finetune.js';
import { recorder, runOf } from './__fixtures__/digits-transfer.js';
import { fewLabels, type FewLabels } from './__fixtures__/few-labels.js';

type EpochEnd = Extract<TrainingEvent, { type: 'epoch-end' }>;
type Plan = Extract<TrainingEvent, { type: 'plan' }>;

let d: FewLabels;
let dir: string;
beforeAll(async () => {
  d = await fewLabels(10);
  dir = await mkdtemp(join(tmpdir(), 'headstart-pretrain-finetune-'));
});

/** Epoch-end events cut into phases (each phase counts its epochs from 0). */
function phases(events: TrainingEvent[]): EpochEnd[][] {
  const out: EpochEnd[][] = [];
  for (const e of events) if (e.type === 'epoch-end') e.epoch === 0 ? out.push([e]) : out[out.length - 1]!.push(e);
  return out;
}

function logs(events: TrainingEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
}

/** `before → after` of each reconstruction-loss log line. */
function reconstruction(events: TrainingEvent[]): [number, number][] {
  return logs(events).flatMap((m) => {
    const match = /reconstruction loss on clean inputs ([\d.e-]+) → ([\d.e-]+)/.exec(m);
    return match ? [[Number(match[1]), Number(match[2])] as [number, number]] : [];
  });
}

describe('pretrain-finetune', () => {
  test('pre-trains a denoising autoencoder on unlabelled 0-4, throws the decoder away and fine-tunes on 10 labels a class of 5-9', async () => {
    const { events, emit } = recorder();
    const out = join(dir, 'pf.safetensors');
    const run = await runStrategy(
      await runOf(pretrainFinetune(), { pretrainEpochs: 8, epochs: 30 }, { train: d.few, unlabeled: d.unlabeled }, out, { emit }),
    );
    const [pretrain, finetune] = phases(events);
    expect([pretrain!.length, finetune!.length]).toEqual([8, 30]);
    expect(pretrain![7]!.metrics.loss).toBeLessThan(pretrain![0]!.metrics.loss * 0.6);
    const [[before, after]] = reconstruction(events) as [[number, number]];
    expect(after).toBeLessThan(before / 5);
    expect(logs(events)[0]).toMatch(/on 901 unlabelled samples.*decoder \(decoder_hidden, decoder_out\) discarded/);
    const saved = await readCheckpoint(out);
    expect(saved.manifest.spec.layers.map((l) => l.name)).toEqual(['enc1', 'enc2', 'head']);
    expect([...saved.weights.keys()].filter((name) => name.startsWith('decoder'))).toEqual([]);
    expect(run.result.model.spec).toEqual(saved.manifest.spec);
    expect(run.result.trainable).toEqual(trainableParameters(saved.manifest.spec));
    const scratch = await runStrategy(await runOf(fullRetrain(), { epochs: 30 }, { train: d.few }, join(dir, 'scratch.safetensors')));
    const accuracy = async (model: typeof run.result.model) => (await evaluateClassifier(model, d.rest, [5, 6, 7, 8, 9])).accuracy;
    const [pretrained, fromScratch] = [await accuracy(run.result.model), await accuracy(scratch.result.model)];
    console.log(`10 labels/class of 5-9: pretrain-finetune ${pretrained.toFixed(3)}, full-retrain ${fromScratch.toFixed(3)}`);
    expect(pretrained).toBeGreaterThan(0.8);
  });

  test('objective=mlm on numeric samples is refused in one line, before any training, writing nothing', async () => {
    const { events, emit } = recorder();
    const out = join(dir, 'mlm.safetensors');
    await expect(runStrategy(await runOf(pretrainFinetune(), { objective: 'mlm' }, { train: d.few }, out, { emit }))).rejects.toThrow(
      /^pretrain-finetune: objective mlm pre-trains on text \(token sequences\), but \S+ holds numeric samples; use objective=autoencoder$/,
    );
    expect(events.filter((e) => e.type === 'epoch-end')).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  test('without unlabelled data it pre-trains on the training data without its labels', async () => {
    const { events, emit } = recorder();
    await runStrategy(
      await runOf(pretrainFinetune(), { pretrainEpochs: 2, epochs: 1 }, { train: d.few }, join(dir, 'own.safetensors'), { emit }),
    );
    expect(logs(events)[0]).toMatch(/^pretrain-finetune: pretrain: denoising autoencoder \(mask 0.2\) on 50 unlabelled samples/);
  });

  test('--dry-run plans the autoencoder (encoder and a mirrored decoder) and then fine-tuning under the head', async () => {
    const { events, emit } = recorder();
    await runStrategy(
      await runOf(
        pretrainFinetune(),
        { pretrainLr: 0.005, lr: 0.002 },
        { train: d.few, unlabeled: d.unlabeled },
        join(dir, 'dry.safetensors'),
        { emit, dryRun: true },
      ),
    );
    const plans = events.filter((e): e is Plan => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.epochs])).toEqual([
      ['pretrain', 20],
      ['finetune', 30],
    ]);
    expect(plans[0]!.parameters.map((p) => [p.name, p.shape, p.trains, p.lr])).toEqual([
      ['enc1.kernel', [64, 128], true, 0.005],
      ['enc1.bias', [128], true, 0.005],
      ['enc2.kernel', [128, 64], true, 0.005],
      ['enc2.bias', [64], true, 0.005],
      ['decoder_hidden.kernel', [64, 128], true, 0.005],
      ['decoder_hidden.bias', [128], true, 0.005],
      ['decoder_out.kernel', [128, 64], true, 0.005],
      ['decoder_out.bias', [64], true, 0.005],
    ]);
    expect(plans[1]!.parameters.every((p) => p.trains && p.lr === 0.002)).toBe(true);
    expect(plans[1]!.parameters.map((p) => p.name)).toEqual([
      'enc1.kernel',
      'enc1.bias',
      'enc2.kernel',
      'enc2.bias',
      'head.kernel',
      'head.bias',
    ]);
    expect(events.some((e) => e.type === 'log')).toBe(false);
  });

  test('greedy: each layer in turn learns to reconstruct the frozen outputs of the layers below', async () => {
    const { events, emit } = recorder();
    await runStrategy(
      await runOf(pretrainFinetune(), { greedy: true }, { train: d.few, unlabeled: d.unlabeled }, join(dir, 'greedy-dry.safetensors'), {
        emit,
        dryRun: true,
      }),
    );
    const plans = events.filter((e): e is Plan => e.type === 'plan');
    expect(plans.map((p) => p.phase)).toEqual(['pretrain-enc1', 'pretrain-enc2', 'finetune']);
    expect(plans[0]!.parameters.map((p) => [p.name, p.shape, p.trains])).toEqual([
      ['enc1.kernel', [64, 128], true],
      ['enc1.bias', [128], true],
      ['decoder_out.kernel', [128, 64], true],
      ['decoder_out.bias', [64], true],
    ]);
    expect(plans[1]!.parameters.map((p) => [p.name, p.shape, p.trains])).toEqual([
      ['enc1.kernel', [64, 128], false],
      ['enc1.bias', [128], false],
      ['enc2.kernel', [128, 64], true],
      ['enc2.bias', [64], true],
      ['decoder_out.kernel', [64, 128], true],
      ['decoder_out.bias', [128], true],
    ]);
    const trained = recorder();
    const unlabeled = subset(
      d.unlabeled,
      Array.from({ length: 320 }, (_, i) => i),
    );
    await runStrategy(
      await runOf(
        pretrainFinetune(),
        { greedy: true, pretrainEpochs: 6, epochs: 2 },
        { train: d.few, unlabeled },
        join(dir, 'greedy.safetensors'),
        { emit: trained.emit },
      ),
    );
    const [enc1, enc2] = phases(trained.events);
    expect(enc1![5]!.metrics.loss).toBeLessThan(enc1![0]!.metrics.loss * 0.6);
    expect(enc2![5]!.metrics.loss).toBeLessThan(enc2![0]!.metrics.loss * 0.6);
    expect(reconstruction(trained.events).every(([before, after]) => after < before / 2)).toBe(true);
    expect(logs(trained.events)[1]).toMatch(/^pretrain-finetune: pretrain-enc2: .* on the outputs of enc1 for 320 unlabelled samples/);
  });

  test('greedy: a run interrupted in any phase resumes to bit-identical weights', async () => {
    const unlabeled = subset(
      d.unlabeled,
      Array.from({ length: 320 }, (_, i) => i),
    );
    const options = { greedy: true, pretrainEpochs: 3, epochs: 3 };
    const data = { train: d.few, unlabeled };
    const reference = await (
      await runStrategy(await runOf(pretrainFinetune(), options, data, join(dir, 'ref.safetensors')))
    ).result.model.getWeights();
    // 10 steps an epoch of pre-training: phase pretrain-enc1 is steps 1-30, pretrain-enc2 31-60, finetune 61-66.
    for (const [stopAt, phase] of [
      [45, 'pretrain-enc2'],
      [63, 'finetune'],
    ] as const) {
      const out = join(dir, `resumed-${stopAt}.safetensors`);
      const controller = new AbortController();
      let steps = 0;
      const emit = (e: TrainingEvent): void => {
        if (e.type === 'step' && ++steps === stopAt) controller.abort();
      };
      await expect(
        runStrategy(await runOf(pretrainFinetune(), options, data, out, { emit, signal: controller.signal })),
      ).rejects.toBeInstanceOf(InterruptedError);
      const partial = await readCheckpoint(resumePath(out));
      expect(partial.manifest.training?.phase).toBe(phase);
      if (phase === 'pretrain-enc2') expect(partial.manifest.spec.layers.map((l) => l.name)).toEqual(['enc1', 'enc2', 'decoder_out']);
      const resumed = await (
        await runStrategy(await runOf(pretrainFinetune(), options, data, out, { resume: true }))
      ).result.model.getWeights();
      for (const [name, tensor] of reference) expect(resumed.get(name)!.data, `${phase}: ${name}`).toEqual(tensor.data);
    }
  });

  test('with L2-SP, a run interrupted in fine-tuning pre-trains again for the reference and resumes to bit-identical weights', async () => {
    const unlabeled = subset(
      d.unlabeled,
      Array.from({ length: 320 }, (_, i) => i),
    );
    const options = { pretrainEpochs: 2, epochs: 3, l2sp: 0.5 };
    const data = { train: d.few, unlabeled };
    const reference = await (
      await runStrategy(await runOf(pretrainFinetune(), options, data, join(dir, 'l2sp-ref.safetensors')))
    ).result.model.getWeights();
    const out = join(dir, 'l2sp.safetensors');
    const controller = new AbortController();
    let steps = 0;
    const emit = (e: TrainingEvent): void => {
      if (e.type === 'step' && ++steps === 23) controller.abort();
    };
    await expect(
      runStrategy(await runOf(pretrainFinetune(), options, data, out, { emit, signal: controller.signal })),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect((await readCheckpoint(resumePath(out))).manifest.training?.phase).toBe('finetune');
    const { events, emit: record } = recorder();
    const resumed = await (
      await runStrategy(await runOf(pretrainFinetune(), options, data, out, { resume: true, emit: record }))
    ).result.model.getWeights();
    // Both pre-training epochs again, then the fine-tuning epochs still to do.
    expect(reconstruction(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'epoch-end').map((e) => (e as EpochEnd).epochs)).toEqual([2, 2, 3, 3]);
    for (const [name, tensor] of reference) expect(resumed.get(name)!.data, name).toEqual(tensor.data);
  });

  test('greedy on the default CNN: conv blocks learn in turn, and the final model is the classifier alone', async () => {
    const image = <T extends { sampleShape: number[] }>(data: T): T => ({ ...data, sampleShape: [8, 8, 1] });
    const { events, emit } = recorder();
    const out = join(dir, 'cnn.safetensors');
    const spec = defaultModelSpec([8, 8, 1], 5);
    const unlabeled = image(
      subset(
        d.unlabeled,
        Array.from({ length: 64 }, (_, i) => i),
      ),
    );
    await runStrategy(
      await runOf(pretrainFinetune(), { greedy: true, pretrainEpochs: 2, epochs: 1 }, { train: image(d.few), unlabeled }, out, {
        emit,
        spec,
      }),
    );
    expect(logs(events).map((m) => m.split(':')[1])).toEqual([' pretrain-conv1', ' pretrain-conv2', ' pretrain-enc1']);
    expect(reconstruction(events).every(([before, after]) => after < before)).toBe(true);
    expect((await readCheckpoint(out)).manifest.spec).toEqual(spec);
  });

  test('refuses unlabelled data of another shape, naming both shapes', async () => {
    const wrong = { ...d.unlabeled, sampleShape: [8, 8] };
    await expect(
      runStrategy(await runOf(pretrainFinetune(), {}, { train: d.few, unlabeled: wrong }, join(dir, 'bad.safetensors'))),
    ).rejects.toThrow(
      /pretrain-finetune: .*digits\.csv: samples have shape \[8,8\], but the model's input is \[64\]; give --input-shape 64 to read them in that shape$/,
    );
  });
});
