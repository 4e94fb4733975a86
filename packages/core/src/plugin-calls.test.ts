import { describe, expect, test } from 'vitest';
import type { Availability, Backend, Batch, EvalResult, Model, ParameterInfo, StepResult, Trainer, TrainerOptions } from './backend.js';
import type { DataRecord, DatasetLoader } from './data/dataset.js';
import { HeadstartError, PluginError } from './errors.js';
import { Registry } from './registry.js';
import type { ModelSpec } from './spec/model-spec.js';
import type { Strategy, StrategyContext } from './strategy.js';
import type { NamedTensors } from './tensors.js';

/** A trainer with private (#) state, whose step fails as told. */
class FailingTrainer implements Trainer {
  #steps = 0;
  constructor(private readonly failure: unknown) {}
  get steps(): number {
    return this.#steps;
  }
  async step(): Promise<StepResult> {
    this.#steps++;
    throw this.failure;
  }
  async evaluate(batch: Batch): Promise<EvalResult> {
    return { lossSum: 0, outputs: new Float32Array(batch.size) };
  }
  async getState(): Promise<NamedTensors> {
    return new Map();
  }
  async setState(): Promise<void> {}
  dispose(): void {}
}

class FailingModel implements Model {
  readonly engine = 'mock/js';
  constructor(
    readonly spec: ModelSpec,
    private readonly failure: unknown,
  ) {}
  parameters(): ParameterInfo[] {
    return [];
  }
  async getWeights(): Promise<NamedTensors> {
    return new Map();
  }
  async setWeights(): Promise<void> {}
  async predict(): Promise<Float32Array> {
    throw new TypeError('predict is broken');
  }
  trainer(): Trainer {
    return new FailingTrainer(this.failure);
  }
  dispose(): void {}
}

/** A backend whose trainers fail in `step` with `failure`. */
function failingBackend(name: string, failure: unknown, options: { stepMany?: boolean } = {}): Backend {
  return {
    name,
    meta: { version: '1.0.0', description: 'fails in trainer.step' },
    probe: async (): Promise<Availability> => ({ available: true, engine: 'js', reasons: [] }),
    async createModel(spec) {
      const model = new FailingModel(spec, failure);
      if (!options.stepMany) return model;
      const trainer = model.trainer.bind(model);
      model.trainer = () => Object.assign(trainer(), { stepMany: async () => [] });
      return model;
    },
  };
}

const SPEC: ModelSpec = {
  inputShape: [2],
  layers: [{ type: 'dense', name: 'out', units: 2, activation: 'softmax', useBias: true }],
} as ModelSpec;
const BATCH: Batch = { x: new Float32Array(4), size: 2, labels: new Int32Array([0, 1]) };
const TRAINER_OPTIONS: TrainerOptions = { trainable: [], groups: [], optimizer: { type: 'sgd' }, loss: 'softmaxCrossEntropy' };

async function trainerOf(registry: Registry, name: string): Promise<Trainer> {
  const model = await (await registry.get('backend', name)).createModel(SPEC);
  return model.trainer(TRAINER_OPTIONS);
}

describe("a backend's models and trainers are wrapped", () => {
  test('a failing trainer.step names the backend and the hook, with the original error as cause', async () => {
    const registry = new Registry();
    const original = new RangeError('kernel exploded');
    registry.register('backend', 'mock', () => failingBackend('mock', original));
    const error = await (await trainerOf(registry, 'mock')).step(BATCH).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({
      code: 'PLUGIN_ERROR',
      plugin: 'backend:mock',
      hook: 'trainer.step',
      message: '[backend:mock] trainer.step: kernel exploded',
    });
    expect((error as PluginError).cause).toBe(original);
  });

  test('model hooks are named model.<hook>', async () => {
    const registry = new Registry();
    registry.register('backend', 'mock', () => failingBackend('mock', new Error('x')));
    const model = await (await registry.get('backend', 'mock')).createModel(SPEC);
    await expect(model.predict(new Float32Array(2), 1)).rejects.toThrow(/^\[backend:mock\] model\.predict: predict is broken$/);
  });

  test('a failure inside trainer.step called from a strategy is blamed on the backend, stamped once', async () => {
    const registry = new Registry();
    registry.register('backend', 'mock', () => failingBackend('mock', new Error('kernel exploded')));
    const strategy: Strategy = {
      name: 'trains',
      meta: { version: '1', description: '' },
      options: {} as Strategy['options'],
      async run(ctx) {
        const model = await ctx.backend.createModel(ctx.spec);
        await model.trainer(TRAINER_OPTIONS).step(BATCH);
        throw new Error('not reached');
      },
    };
    registry.register('strategy', 'trains', () => strategy);
    const ctx = { backend: await registry.get('backend', 'mock'), spec: SPEC } as StrategyContext;
    const error = await (await registry.get('strategy', 'trains')).run(ctx, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ plugin: 'backend:mock', hook: 'trainer.step', message: '[backend:mock] trainer.step: kernel exploded' });
  });

  test("a backend's user errors pass through unchanged, keeping their code", async () => {
    const registry = new Registry();
    const bad = new HeadstartError('BAD_INPUT', 'batch has 3 labels for 2 samples');
    registry.register('backend', 'mock', () => failingBackend('mock', bad));
    await expect((await trainerOf(registry, 'mock')).step(BATCH)).rejects.toBe(bad);
  });

  test('optional members stay optional, private fields work, and each method is wrapped once', async () => {
    const registry = new Registry();
    registry.register('backend', 'plain', () => failingBackend('plain', new Error('x')));
    registry.register('backend', 'many', () => failingBackend('many', new Error('x'), { stepMany: true }));
    const plain = await trainerOf(registry, 'plain');
    expect('stepMany' in plain).toBe(false);
    expect(plain.stepMany).toBeUndefined();
    expect('stepMany' in (await trainerOf(registry, 'many'))).toBe(true);
    await plain.step(BATCH).catch(() => undefined);
    expect((plain as FailingTrainer).steps).toBe(1);
    expect(plain).toBeInstanceOf(FailingTrainer);
    expect(plain.step).toBe(plain.step);
  });
});

test("errors while iterating a loader's stream name the loader and the hook", async () => {
  const registry = new Registry();
  const loader: DatasetLoader = {
    name: 'flaky',
    meta: { version: '1', description: '' },
    canLoad: () => true,
    load: async () => {
      throw new Error('not here');
    },
    async *records(): AsyncIterable<DataRecord> {
      yield { features: [1], label: 'a' } as unknown as DataRecord;
      throw new Error('disk gone');
    },
  };
  registry.register('loader', 'flaky', () => loader);
  const seen: unknown[] = [];
  const iterate = async (): Promise<void> => {
    for await (const record of (await registry.get('loader', 'flaky')).records!('x')) seen.push(record);
  };
  await expect(iterate()).rejects.toThrow(/^\[loader:flaky\] records: disk gone$/);
  expect(seen).toHaveLength(1);
});

describe("a backend's format declarations are wrapped", () => {
  const sniffing = (sniff: (head: Uint8Array) => boolean): Backend => ({
    ...failingBackend('sniffer', new Error('unused')),
    formats: [{ name: 'snf', extensions: ['.snf'], import: true, sniff }],
  });

  test('a failing sniff names the backend, the format and the hook, with the original error as cause', async () => {
    const registry = new Registry();
    const failure = new RangeError('offset out of range');
    registry.register('backend', 'sniffer', () =>
      sniffing(() => {
        throw failure;
      }),
    );
    const [format] = (await registry.get('backend', 'sniffer')).formats!;
    let thrown: unknown;
    try {
      format!.sniff(new Uint8Array(4));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PluginError);
    expect((thrown as PluginError).message).toBe('[backend:sniffer] formats.snf.sniff: offset out of range');
    expect((thrown as PluginError).cause).toBe(failure);
  });

  test('declarations read the same, and the same wrapper on every read', async () => {
    const registry = new Registry();
    registry.register('backend', 'sniffer', () => sniffing((head) => head[0] === 1));
    const backend = await registry.get('backend', 'sniffer');
    expect(backend.formats).toBe(backend.formats);
    expect(backend.formats![0]).toMatchObject({ name: 'snf', extensions: ['.snf'], import: true });
    expect(backend.formats![0]!.sniff(new Uint8Array([1]))).toBe(true);
    expect(backend.formats![0]!.sniff(new Uint8Array([2]))).toBe(false);
  });
});
