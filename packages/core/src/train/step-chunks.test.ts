import { describe, expect, it } from 'vitest';
import type { Batch, Model, StepResult, Trainer, TrainerOptions } from '../backend.js';
import type { Dataset } from '../data/dataset.js';
import { stepLrScale } from '../backend-kit/step-options.js';
import { createRng } from '../rng.js';
import type { NamedTensors } from '../tensors.js';
import type { TrainingEvent } from './events.js';
import { fitLoop, InterruptedError, type FitEnv, type FitSnapshot } from './fit.js';
import type { FitPlan } from './fit-plan.js';
import { StepChunks, stepsUntilCheckpoint } from './step-chunks.js';

/**
 * A one-weight model in plain JS: each step moves `w` towards the batch mean, scaled by the rate,
 * with a momentum slot (both kept in float32, as checkpoints store them). Every step depends on the
 * order of the batches, their contents and their rates.
 */
class TinyModel implements Model {
  readonly spec = { inputShape: [2], layers: [] };
  readonly engine = 'mock';
  w = 0.5;
  /** Batches per trainer call (step or stepMany). */
  readonly calls: number[] = [];

  constructor(private readonly many: boolean) {}

  parameters() {
    return [{ name: 'w', shape: [1], trainable: true }];
  }
  async getWeights(): Promise<NamedTensors> {
    return new Map([['w', { shape: [1], data: Float32Array.of(this.w) }]]);
  }
  async setWeights(weights: NamedTensors): Promise<void> {
    this.w = weights.get('w')!.data[0]!;
  }
  async predict(_x: Float32Array, size: number): Promise<Float32Array> {
    return new Float32Array(size * 2).fill(0.5);
  }
  trainer(options: TrainerOptions): Trainer {
    let momentum = 0;
    let steps = 0;
    const step = async (batch: Batch, lrScale: number): Promise<StepResult> => {
      const mean = batch.x.reduce((a, v) => a + v, 0) / batch.x.length;
      const loss = (this.w - mean) ** 2;
      momentum = Math.fround(0.9 * momentum + (this.w - mean));
      this.w = Math.fround(this.w - options.groups[0]!.lr * lrScale * momentum);
      steps++;
      return { loss, correct: batch.labels!.filter((l) => l === 1).length };
    };
    const trainer: Trainer = {
      step: (batch, options) => {
        this.calls.push(1);
        return step(batch, stepLrScale(options));
      },
      evaluate: async () => ({ lossSum: 0, outputs: new Float32Array() }),
      getState: async () =>
        new Map([
          ['optim.momentum.w', { shape: [1], data: Float32Array.of(momentum) }],
          ['optim.step', { shape: [1], data: Float32Array.of(steps) }],
        ]),
      setState: async (state) => {
        momentum = state.get('optim.momentum.w')!.data[0]!;
        steps = state.get('optim.step')!.data[0]!;
      },
      dispose: () => undefined,
    };
    if (this.many) {
      trainer.stepMany = async (batches, lrScales) => {
        this.calls.push(batches.length);
        const results: StepResult[] = [];
        for (const [i, batch] of batches.entries()) results.push(await step(batch, lrScales[i]!));
        return results;
      };
    }
    return trainer;
  }
  dispose(): void {}
}

const rng = createRng(4);
const train: Dataset = {
  size: 103,
  sampleShape: [2],
  features: Float32Array.from({ length: 206 }, () => rng.normal()),
  labels: Int32Array.from({ length: 103 }, (_, i) => i % 2),
  labelMap: [0, 1],
  source: { file: 'mock', format: 'mock' },
};

const plan: FitPlan = {
  phase: 'train',
  train,
  epochs: 20,
  batchSize: 8,
  schedule: { type: 'cosine', warmupSteps: 5 },
  inputNoise: { type: 'gaussian', amount: 0.1 },
  trainer: {
    trainable: ['w'],
    groups: [{ name: 'all', params: ['w'], lr: 0.1 }],
    optimizer: { type: 'sgd', momentum: 0.9 },
    loss: 'softmaxCrossEntropy',
    seed: 3,
  },
};

interface Run {
  model: TinyModel;
  events: TrainingEvent[];
  saves: FitSnapshot['state'][];
  /** Weights and optimizer state of the last snapshot. */
  saved?: { weights: NamedTensors; optimizer: NamedTensors } | undefined;
}

async function run(many: boolean, env: Partial<FitEnv> = {}, model = new TinyModel(many)): Promise<Run & { error?: unknown }> {
  const result: Run & { error?: unknown } = { model, events: [], saves: [] };
  const fullEnv: FitEnv = {
    stage: 0,
    rng: createRng(1),
    emit: (e) => result.events.push(e),
    signal: new AbortController().signal,
    save: async (s) => {
      result.saves.push(structuredClone(s.state));
      result.saved = { weights: await s.model.getWeights(), optimizer: await s.trainer.getState() };
    },
    ...env,
  };
  try {
    await fitLoop(model, plan, fullEnv);
  } catch (error) {
    result.error = error;
  }
  return result;
}

/** Events without timings. */
const comparable = (events: TrainingEvent[]): unknown[] => events.map((e) => (e.type === 'epoch-end' ? { ...e, seconds: 0 } : e));

describe('fitLoop with Trainer.stepMany', () => {
  it('gives the same weights, events and checkpoints as step by step, chunks stopping at epoch ends and due checkpoints', async () => {
    const every = { steps: 5 };
    const [single, many] = [await run(false, { checkpointEvery: every }), await run(true, { checkpointEvery: every })];
    expect(many.model.w).toBe(single.model.w);
    expect(comparable(many.events)).toEqual(comparable(single.events));
    expect(many.saves).toEqual(single.saves);
    expect(many.saves.map((s) => s.step)).toContain(5);
    // Several steps went to one call, and no call crossed a 5-step checkpoint or an epoch's 13 steps.
    expect(Math.max(...many.model.calls)).toBeGreaterThan(1);
    let step = 0;
    for (const count of many.model.calls) {
      expect(Math.floor((step + count - 1) / 5), `call of ${count} from step ${step}`).toBe(Math.floor(step / 5));
      expect(Math.floor((step + count - 1) / 13), `call of ${count} from step ${step}`).toBe(Math.floor(step / 13));
      step += count;
    }
  });

  it('stops at a chunk boundary on Ctrl-C with a checkpoint from which a resumed run ends the same', async () => {
    const uninterrupted = await run(true);
    const controller = new AbortController();
    const interrupted = await run(true, {
      signal: controller.signal,
      emit: (e) => (e.type === 'step' && e.epoch === 1 && e.step === 4 ? controller.abort() : undefined),
    });
    expect(interrupted.error).toBeInstanceOf(InterruptedError);
    // Seen where the chunk holding the 4th step of epoch 1 ended (13 steps an epoch).
    const last = interrupted.saves.at(-1)!;
    expect(last.step).toBeGreaterThanOrEqual(13 + 4);
    expect(last.step).toBe(interrupted.model.calls.reduce((a, b) => a + b, 0));
    const model = new TinyModel(true);
    await model.setWeights(interrupted.saved!.weights);
    const resumed = await run(true, { resume: { state: last, optimizer: interrupted.saved!.optimizer } }, model);
    expect(resumed.error).toBeUndefined();
    expect(resumed.model.w).toBe(uninterrupted.model.w);
    expect(resumed.events.filter((e) => e.type === 'epoch-end').map((e) => e.type === 'epoch-end' && e.metrics)).toEqual(
      uninterrupted.events.filter((e) => e.type === 'epoch-end' && e.epoch >= last.epoch).map((e) => e.type === 'epoch-end' && e.metrics),
    );
  });
});

describe('StepChunks', () => {
  /** A clock that moves only when a step runs: `ms` a step, whatever the machine is doing. */
  const clock = { ms: 0, now: () => clock.ms };
  const trainer = (many: boolean, ms: number): Trainer => {
    const wait = async (): Promise<StepResult> => {
      clock.ms += ms;
      return { loss: 0 };
    };
    return {
      step: wait,
      ...(many ? { stepMany: async (b: readonly Batch[]) => Promise.all(b.map(() => wait())) } : {}),
      evaluate: async () => ({ lossSum: 0, outputs: new Float32Array() }),
      getState: async () => new Map(),
      setState: async () => undefined,
      dispose: () => undefined,
    };
  };
  const batch: Batch = { x: new Float32Array(2), size: 1 };
  const chunksOf = (stepsPerEpoch: number, totalSteps: number): StepChunks => new StepChunks(8, stepsPerEpoch, totalSteps, clock.now);

  it('takes one step at a time without stepMany, or until a step has been timed', async () => {
    const chunks = chunksOf(1000, 10_000);
    const plain = trainer(false, 0);
    await chunks.run(plain, [batch], [1]);
    await chunks.run(plain, [batch], [1]);
    expect(chunks.next(plain, 100)).toBe(1);
    expect(chunksOf(1000, 10_000).next(trainer(true, 0), 100)).toBe(1);
  });

  it('sizes chunks to about 20 ms and an eighth of an epoch, within the limit, and leaves slow steps alone', async () => {
    // 1 ms steps: 20 to a call.
    const timed = trainer(true, 1);
    const chunks = chunksOf(1000, 10_000);
    for (let i = 0; i < 2; i++) await chunks.run(timed, [batch], [1]);
    expect(chunks.next(timed, 1000)).toBe(20);
    expect(chunks.next(timed, 3)).toBe(3);
    // 3 ms steps: 6 to a call.
    const slower = chunksOf(1000, 10_000);
    for (let i = 0; i < 2; i++) await slower.run(trainer(true, 3), [batch], [1]);
    expect(slower.next(timed, 1000)).toBe(6);
    // Instant steps: an eighth of the epoch, at least 4.
    const instant = trainer(true, 0);
    for (const [stepsPerEpoch, expected] of [
      [60, 8],
      [10, 4],
      [100_000, 256],
    ] as const) {
      const epochChunks = chunksOf(stepsPerEpoch, 10_000);
      for (let i = 0; i < 2; i++) await epochChunks.run(instant, [batch], [1]);
      expect(epochChunks.next(instant, 1_000_000), `${stepsPerEpoch} steps an epoch`).toBe(expected);
    }
    // A phase too short to pay for setting up stepMany: one step at a time.
    const short = chunksOf(60, 255);
    for (let i = 0; i < 2; i++) await short.run(instant, [batch], [1]);
    expect(short.next(instant, 1000)).toBe(1);
    const slow = trainer(true, 15);
    const slowChunks = chunksOf(1000, 10_000);
    for (let i = 0; i < 2; i++) await slowChunks.run(slow, [batch], [1]);
    expect(slowChunks.next(slow, 1000)).toBe(1);
  });

  it('ends a chunk where a step-count checkpoint is due', () => {
    expect(stepsUntilCheckpoint({ steps: 5 }, 0)).toBe(5);
    expect(stepsUntilCheckpoint({ steps: 5 }, 7)).toBe(3);
    expect(stepsUntilCheckpoint({ steps: 5 }, 10)).toBe(5);
    expect(stepsUntilCheckpoint({ seconds: 30 }, 7)).toBe(Number.POSITIVE_INFINITY);
    expect(stepsUntilCheckpoint(undefined, 7)).toBe(Number.POSITIVE_INFINITY);
  });
});
