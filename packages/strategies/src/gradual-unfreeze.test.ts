import { join } from 'node:path';
import {
  evaluateClassifier,
  InterruptedError,
  readCheckpoint,
  resumePath,
  runStrategy,
  type NamedTensors,
  type TrainingEvent,
} from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { fullRetrain } from './full-retrain.js';
import { gradualUnfreeze } from './gradual-unfreeze.js';
import { unfreezeSchedule } from './unfreeze-schedule.js';
import { digitsTransfer, recorder, runOf, type DigitsTransfer } from './__fixtures__/digits-transfer.js';

type Plan = Extract<TrainingEvent, { type: 'plan' }>;

let t: DigitsTransfer;
beforeAll(async () => {
  t = await digitsTransfer();
});

const run = async (options: Record<string, unknown>, name: string, extra: Parameters<typeof runOf>[4] = {}) =>
  runStrategy(await runOf(gradualUnfreeze(), options, { train: t.few }, join(t.dir, `${name}.safetensors`), { from: t.source, ...extra }));

function same(a: NamedTensors, b: NamedTensors, layer: string): boolean {
  return ['kernel', 'bias'].every((p) => {
    const [x, y] = [a.get(`${layer}.${p}`)!.data, b.get(`${layer}.${p}`)!.data];
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  });
}

describe('unfreezeSchedule', () => {
  test('one group more every N epochs; the stage with all groups gets the rest; stops when the epochs run out', () => {
    const lengths = (groups: number, head: number, every: number, epochs: number) =>
      unfreezeSchedule(groups, head, every, epochs).map((s) => [s.groups, s.epochs, s.startEpoch]);
    expect(lengths(3, 1, 5, 30)).toEqual([
      [1, 5, 0],
      [2, 5, 5],
      [3, 20, 10],
    ]);
    expect(lengths(3, 1, 5, 12)).toEqual([
      [1, 5, 0],
      [2, 5, 5],
      [3, 2, 10],
    ]);
    expect(lengths(3, 1, 5, 7)).toEqual([
      [1, 5, 0],
      [2, 2, 5],
    ]);
    expect(lengths(3, 2, 4, 10)).toEqual([
      [2, 4, 0],
      [3, 6, 4],
    ]);
    expect(lengths(1, 1, 5, 8)).toEqual([[1, 8, 0]]);
    expect(unfreezeSchedule(3, 1, 5, 30).map((s) => s.phase)).toEqual(['unfreeze-1', 'unfreeze-2', 'unfreeze-3']);
  });
});

describe('gradual-unfreeze', () => {
  test('--dry-run: each stage trains one group more, each group deeper down at the rate above ÷ 2.6', async () => {
    const { events, emit } = recorder();
    await run({ epochs: 9, unfreezeEvery: 3, lr: 0.01 }, 'dry', { emit, dryRun: true });
    const plans = events.filter((e): e is Plan => e.type === 'plan');
    expect(plans.map((p) => [p.phase, p.epochs])).toEqual([
      ['unfreeze-1', 3],
      ['unfreeze-2', 3],
      ['unfreeze-3', 3],
    ]);
    const lr = (plan: Plan) => Object.fromEntries(plan.parameters.map((p) => [p.name, p.trains ? p.lr : 0]));
    const [head, enc2, enc1] = [0.01, 0.01 / 2.6, 0.01 / 2.6 ** 2];
    const expected = [
      { 'enc1.kernel': 0, 'enc1.bias': 0, 'enc2.kernel': 0, 'enc2.bias': 0, 'head.kernel': head, 'head.bias': head },
      { 'enc1.kernel': 0, 'enc1.bias': 0, 'enc2.kernel': enc2, 'enc2.bias': enc2, 'head.kernel': head, 'head.bias': head },
      { 'enc1.kernel': enc1, 'enc1.bias': enc1, 'enc2.kernel': enc2, 'enc2.bias': enc2, 'head.kernel': head, 'head.bias': head },
    ];
    plans.forEach((plan, i) => {
      for (const [name, rate] of Object.entries(expected[i]!)) expect(lr(plan)[name], `${plan.phase} ${name}`).toBeCloseTo(rate, 12);
    });
    const halved = recorder();
    await run({ epochs: 9, unfreezeEvery: 3, lr: 0.01, lrMult: 0.5 }, 'dry-mult', { emit: halved.emit, dryRun: true });
    const last = halved.events.filter((e): e is Plan => e.type === 'plan').at(-1)!;
    expect(lr(last)['enc1.kernel']).toBeCloseTo(0.0025, 12);
  });

  test('unfreezes one group every N epochs and says so; a group stays bit-identical until its stage and changes after', async () => {
    const { events, emit } = recorder();
    const full = await run({ epochs: 9, unfreezeEvery: 3 }, 'gu9', { emit });
    const sequence = events.flatMap((e) =>
      e.type === 'epoch-end' ? ['epoch'] : e.type === 'log' && e.message.startsWith('gradual-unfreeze: unfreeze-') ? [e.message] : [],
    );
    expect(sequence).toEqual([
      'gradual-unfreeze: unfreeze-1: training the head (head) alone for 3 of 9 epochs at lr 0.01',
      'epoch',
      'epoch',
      'epoch',
      'gradual-unfreeze: unfreeze-2: unfroze enc2 after epoch 3 of 9, at lr 0.003846',
      'epoch',
      'epoch',
      'epoch',
      'gradual-unfreeze: unfreeze-3: unfroze enc1 after epoch 6 of 9, at lr 0.001479',
      'epoch',
      'epoch',
      'epoch',
    ]);
    const source = t.source.weights;
    const [w3, w6, w9] = [
      await (await run({ epochs: 3, unfreezeEvery: 3 }, 'gu3')).result.model.getWeights(),
      await (await run({ epochs: 6, unfreezeEvery: 3 }, 'gu6')).result.model.getWeights(),
      await full.result.model.getWeights(),
    ];
    expect([same(w3, source, 'enc1'), same(w3, source, 'enc2')]).toEqual([true, true]);
    expect([same(w6, source, 'enc1'), same(w6, source, 'enc2')]).toEqual([true, false]);
    expect([same(w9, source, 'enc1'), same(w9, source, 'enc2')]).toEqual([false, false]);
    expect(full.result.trainable).toEqual(['enc1.kernel', 'enc1.bias', 'enc2.kernel', 'enc2.bias', 'head.kernel', 'head.bias']);
  });

  test('a run interrupted in any stage resumes to bit-identical weights', async () => {
    const options = { epochs: 9, unfreezeEvery: 3 };
    const reference = await (await run(options, 'gu-ref')).result.model.getWeights();
    // Two steps an epoch: stage 1 is steps 1-6, stage 2 steps 7-12, stage 3 steps 13-18.
    for (const [stopAt, phase] of [
      [3, 'unfreeze-1'],
      [9, 'unfreeze-2'],
      [16, 'unfreeze-3'],
    ] as const) {
      const controller = new AbortController();
      let steps = 0;
      const emit = (e: TrainingEvent): void => {
        if (e.type === 'step' && ++steps === stopAt) controller.abort();
      };
      await expect(run(options, `gu-${stopAt}`, { emit, signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
      expect((await readCheckpoint(resumePath(join(t.dir, `gu-${stopAt}.safetensors`)))).manifest.training?.phase).toBe(phase);
      const resumed = await (await run(options, `gu-${stopAt}`, { resume: true })).result.model.getWeights();
      for (const [name, tensor] of reference) expect(resumed.get(name)!.data, `${phase}: ${name}`).toEqual(tensor.data);
    }
  });

  test('with the default options, reaches sensible accuracy on 10 labels a class of 5-9', async () => {
    const unfrozen = await run({}, 'gu-default');
    const scratch = await runStrategy(await runOf(fullRetrain(), { epochs: 30 }, { train: t.few }, join(t.dir, 'gu-scratch.safetensors')));
    const accuracy = async (model: typeof scratch.result.model) => (await evaluateClassifier(model, t.rest, [5, 6, 7, 8, 9])).accuracy;
    const [transfer, fromScratch] = [await accuracy(unfrozen.result.model), await accuracy(scratch.result.model)];
    console.log(`10 labels/class of 5-9: gradual-unfreeze ${transfer.toFixed(3)}, full-retrain ${fromScratch.toFixed(3)}`);
    expect(transfer).toBeGreaterThan(0.75);
  });
});
