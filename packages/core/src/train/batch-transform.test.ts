import { describe, expect, it } from 'vitest';
import type { Batch, Model, StepResult, Trainer } from '../backend.js';
import type { Dataset } from '../data/dataset.js';
import { createRng } from '../rng.js';
import type { NamedTensors } from '../tensors.js';
import { batchRng, composeTransforms, transformBatch, type BatchTransform } from './batch-transform.js';
import { fitLoop, InterruptedError, type FitEnv, type FitSnapshot } from './fit.js';
import type { FitPlan } from './fit-plan.js';

/**
 * A one-weight model in plain JS that keeps every input it is shown: the batches it trains on and
 * the samples it predicts (validation). Each step moves `w` towards the batch mean, so the weight
 * depends on every training batch's contents.
 */
class RecordingModel implements Model {
  readonly spec = { inputShape: [2], layers: [] };
  readonly engine = 'plain-js';
  w = 0;
  readonly trained: Float32Array[] = [];
  readonly predicted: Float32Array[] = [];

  parameters() {
    return [{ name: 'w', shape: [1], trainable: true }];
  }
  async getWeights(): Promise<NamedTensors> {
    return new Map([['w', { shape: [1], data: Float32Array.of(this.w) }]]);
  }
  async setWeights(weights: NamedTensors): Promise<void> {
    this.w = weights.get('w')!.data[0]!;
  }
  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    this.predicted.push(x.slice());
    return new Float32Array(size * 2).fill(0.5);
  }
  trainer(): Trainer {
    return {
      step: async (batch: Batch): Promise<StepResult> => {
        this.trained.push(batch.x.slice());
        const mean = batch.x.reduce((a, v) => a + v, 0) / batch.x.length;
        this.w = Math.fround(this.w + 0.1 * (mean - this.w));
        return { loss: 1, correct: 0 };
      },
      evaluate: async () => ({ lossSum: 0, outputs: new Float32Array() }),
      getState: async () => new Map(),
      setState: async () => undefined,
      dispose: () => undefined,
    };
  }
  dispose(): void {}
}

const rng = createRng(5);
const data = (size: number): Dataset => ({
  size,
  sampleShape: [2],
  features: Float32Array.from({ length: size * 2 }, () => rng.normal()),
  labels: Int32Array.from({ length: size }, (_, i) => i % 2),
  labelMap: [0, 1],
  source: { file: 'memory', format: 'memory' },
});
const [train, val] = [data(20), data(7)];

/** Adds a draw of its generator to every input, and notes that draw per call. */
function noting(draws: number[]): BatchTransform {
  return {
    name: 'add a draw',
    apply(batch, rng) {
      const draw = rng.next();
      draws.push(draw);
      return { ...batch, x: batch.x.map((v) => v + 10 + draw) };
    },
  };
}

function planWith(transform: BatchTransform): FitPlan {
  return {
    phase: 'train',
    train,
    val,
    epochs: 3,
    batchSize: 4,
    transform,
    trainer: {
      trainable: ['w'],
      groups: [{ name: 'all', params: ['w'], lr: 0.1 }],
      optimizer: { type: 'sgd' },
      loss: 'softmaxCrossEntropy',
    },
  };
}

function env(extra: Partial<FitEnv> = {}): FitEnv {
  return { stage: 0, rng: createRng(1), seed: 9, emit: () => undefined, signal: new AbortController().signal, ...extra };
}

describe('FitPlan.transform', () => {
  it('changes the training batches only: validation sees the samples as they are', async () => {
    const model = new RecordingModel();
    await fitLoop(model, planWith(noting([])), env());
    expect(model.trained).toHaveLength(15);
    for (const x of model.trained) expect(Math.min(...x)).toBeGreaterThan(5);
    // Every epoch's validation saw exactly val's features.
    expect(model.predicted).toHaveLength(3);
    for (const x of model.predicted) expect(Array.from(x)).toEqual(Array.from(val.features));
  });

  it("draws from a generator of the run's seed, the phase, the epoch and the batch index, so a resumed run draws the same", async () => {
    const draws: number[] = [];
    const whole = new RecordingModel();
    await fitLoop(whole, planWith(noting(draws)), env());
    const expected = [0, 1, 2].flatMap((epoch) => [0, 1, 2, 3, 4].map((index) => batchRng(9, 'train', epoch, index).next()));
    expect(draws).toEqual(expected);

    // Interrupted after step 7 (epoch 1, batch 2), then resumed from the snapshot.
    const controller = new AbortController();
    let saved: FitSnapshot['state'] | undefined;
    let weights: NamedTensors | undefined;
    const first = new RecordingModel();
    const interrupted = fitLoop(
      first,
      planWith(noting([])),
      env({
        signal: controller.signal,
        emit: (e) => (e.type === 'step' && e.epoch === 1 && e.step === 2 ? controller.abort() : undefined),
        save: async (s) => {
          saved = structuredClone(s.state);
          weights = await s.model.getWeights();
        },
      }),
    );
    await expect(interrupted).rejects.toBeInstanceOf(InterruptedError);
    expect(saved!.step).toBe(7);
    const resumedDraws: number[] = [];
    const resumed = new RecordingModel();
    await resumed.setWeights(weights!);
    await fitLoop(resumed, planWith(noting(resumedDraws)), env({ resume: { state: saved!, optimizer: new Map() } }));
    expect(resumedDraws).toEqual(draws.slice(7));
    expect(resumed.w).toBe(whole.w);
  });

  it('refuses a transform that changes the number of samples or values, naming it', () => {
    const dropOne: BatchTransform = { name: 'drop one', apply: (b) => ({ ...b, size: b.size - 1, x: b.x.subarray(2) }) };
    const batch: Batch = { x: new Float32Array(8), size: 4 };
    expect(() => transformBatch(dropOne, batch, [2], createRng(1))).toThrow(
      'batch transform "drop one" returned 3 samples of 6 values; expected 4 samples of 8 values',
    );
  });

  it('takes a batch of named inputs (token ids) with an empty x, and refuses one that gains values', () => {
    const ids = Int32Array.of(2, 7, 3, 2, 8, 3);
    const batch: Batch = { x: new Float32Array(0), size: 2, inputs: { input_ids: ids, attention_mask: new Int32Array(6).fill(1) } };
    const relabel: BatchTransform = { name: 'token targets', apply: ({ sampleShape: _, ...b }) => ({ ...b, tokenLabels: ids }) };
    expect(transformBatch(relabel, batch, [3], createRng(1)).tokenLabels).toBe(ids);
    const grow: BatchTransform = { name: 'grow', apply: ({ sampleShape: _, ...b }) => ({ ...b, x: new Float32Array(6) }) };
    expect(() => transformBatch(grow, batch, [3], createRng(1))).toThrow(
      'batch transform "grow" returned 2 samples of 6 values; expected 2 samples of 0 values',
    );
  });

  it('composes the data augmentation before the strategy’s transform', () => {
    const times: BatchTransform = { name: 'times 2', apply: (b) => ({ ...b, x: b.x.map((v) => v * 2) }) };
    const plus: BatchTransform = { name: 'plus 1', apply: (b) => ({ ...b, x: b.x.map((v) => v + 1) }) };
    const both = composeTransforms(times, plus)!;
    expect(both.name).toBe('times 2, then plus 1');
    expect(Array.from(transformBatch(both, { x: Float32Array.of(1, 2), size: 1 }, [2], createRng(1)).x)).toEqual([3, 5]);
    expect(composeTransforms(undefined, plus)).toBe(plus);
  });
});
