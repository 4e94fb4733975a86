import { readFileSync } from 'node:fs';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { createReferenceBackend } from '@headstart/conformance/reference';
import {
  createRng,
  fitLoop,
  InterruptedError,
  initializeWeights,
  modelTeacher,
  validateSpec,
  type Backend,
  type Dataset,
  type FitEnv,
  type FitPlan,
  type FitSnapshot,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type Teacher,
} from '@headstart/core';
import { mixupTransform } from '@headstart/strategies';
import { describe, expect, test } from 'vitest';

// FitPlan.teacher on every backend: the fit loop gives each training batch its teacher's logits and the
// backend's distillation loss uses them, so step losses match PyTorch's (torch-losses.json, written by
// packages/conformance/src/reference/__fixtures__/torch-losses.py) and the float64 reference's.

const TORCH: {
  x: number[];
  labels: number[];
  teacher: number[];
  weights: Record<string, number[]>;
  cases: Record<string, { loss: number }>;
} = JSON.parse(readFileSync(new URL('../../packages/conformance/src/reference/__fixtures__/torch-losses.json', import.meta.url), 'utf8'));

/** The fixture's student: dense 4 → 5 relu → 3 softmax. */
const STUDENT = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'hidden', units: 5, activation: 'relu' },
    { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
  ],
});
const SHAPES: Record<string, number[]> = { 'hidden.kernel': [4, 5], 'hidden.bias': [5], 'out.kernel': [5, 3], 'out.bias': [3] };
const fixtureWeights = (): NamedTensors =>
  new Map(Object.entries(TORCH.weights).map(([name, data]) => [name, { shape: SHAPES[name]!, data: Float32Array.from(data) }]));

/** A bigger teacher than the student: dense 4 → 12 tanh → 3 softmax. */
const TEACHER = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 't1', units: 12, activation: 'tanh' },
    { type: 'dense', name: 'tout', units: 3, activation: 'softmax' },
  ],
});

const BACKENDS: Record<string, () => Backend> = {
  onnx: () => createOnnxBackend(),
  tfjs: () => createTfjsBackend({ note: () => undefined }),
};

function dataset(x: Float32Array, labels: Int32Array): Dataset {
  return { size: labels.length, sampleShape: [4], features: x, labels, labelMap: [0, 1, 2], source: { file: 'memory', format: 'memory' } };
}

/** 12 seeded samples of 4 features in 3 classes. */
const TWELVE = (() => {
  const rng = createRng(31);
  return dataset(
    Float32Array.from({ length: 48 }, () => rng.normal()),
    Int32Array.from({ length: 12 }, (_, i) => i % 3),
  );
})();

function plan(train: Dataset, extra: Partial<FitPlan> = {}): FitPlan {
  const names = Object.keys(SHAPES);
  return {
    phase: 'distil',
    train,
    epochs: 2,
    batchSize: 4,
    trainer: {
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.5 }],
      optimizer: { type: 'sgd', momentum: 0.9 },
      loss: 'softmaxCrossEntropy',
      lossOptions: { distillation: { temperature: 2, alpha: 0.7 } },
      seed: 3,
    },
    ...extra,
  };
}

function env(losses: number[], extra: Partial<FitEnv> = {}): FitEnv {
  return {
    stage: 0,
    rng: createRng(8),
    seed: 8,
    emit: (e) => (e.type === 'step' ? losses.push(e.loss) : undefined),
    signal: new AbortController().signal,
    ...extra,
  };
}

/** A teacher model of TEACHER's spec with seeded weights (the same numbers on every backend). */
async function teacherOn(backend: Backend): Promise<Model> {
  return backend.createModel(TEACHER, initializeWeights(TEACHER, createRng(77)));
}

/** Step losses of a fit of the fixture's student distilling from `teacher`. */
async function stepLosses(backend: Backend, teacher: Teacher, fitPlan: FitPlan): Promise<{ losses: number[]; weights: NamedTensors }> {
  const student = await backend.createModel(STUDENT, fixtureWeights());
  const losses: number[] = [];
  await fitLoop(student, { ...fitPlan, teacher }, env(losses));
  return { losses, weights: await student.getWeights() };
}

/**
 * A classifier whose logits on the fixture's five samples are the fixture's teacher logits: a seeded
 * tanh layer of 8 units, then an output layer solved for (`H·W = teacher`, the least-norm `W`).
 */
function fixtureTeacher(): { spec: ModelSpec; weights: NamedTensors } {
  const spec = validateSpec({
    inputShape: [4],
    layers: [
      { type: 'dense', name: 'h', units: 8, activation: 'tanh' },
      { type: 'dense', name: 'logits', units: 3, activation: 'softmax' },
    ],
  });
  const weights = initializeWeights(spec, createRng(12));
  const [k, bias] = [weights.get('h.kernel')!.data, weights.get('h.bias')!.data];
  const h = Array.from({ length: 5 }, (_, s) =>
    Array.from({ length: 8 }, (_, u) => Math.tanh(bias[u]! + [0, 1, 2, 3].reduce((a, i) => a + TORCH.x[s * 4 + i]! * k[i * 8 + u]!, 0))),
  );
  const gram = h.map((a) => h.map((b) => a.reduce((sum, v, i) => sum + v * b[i]!, 0)));
  const y = solve(
    gram,
    Array.from({ length: 5 }, (_, s) => TORCH.teacher.slice(s * 3, s * 3 + 3)),
  );
  const w = Array.from({ length: 8 }, (_, u) => [0, 1, 2].map((c) => h.reduce((sum, row, s) => sum + row[u]! * y[s]![c]!, 0)));
  weights.set('logits.kernel', { shape: [8, 3], data: Float32Array.from(w.flat()) });
  weights.set('logits.bias', { shape: [3], data: new Float32Array(3) });
  return { spec, weights };
}

/** `X` with `A·X = B` by Gauss–Jordan elimination with partial pivoting. */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]!]);
  for (let c = 0; c < n; c++) {
    const pivot = m.reduce((best, _, r) => (r >= c && Math.abs(m[r]![c]!) > Math.abs(m[best]![c]!) ? r : best), c);
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < m[r]!.length; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row.slice(n).map((v) => v / m[i]![i]!));
}

describe.each(Object.keys(BACKENDS))('distilling from a teacher through the fit loop on %s', (name) => {
  test("the first step's loss is PyTorch's distillation loss of the fixture (T 2, alpha 0.7)", async () => {
    const backend = BACKENDS[name]!();
    const { spec, weights } = fixtureTeacher();
    const teacher = modelTeacher(await backend.createModel(spec, weights), 'fixture');
    const fixture = dataset(Float32Array.from(TORCH.x), Int32Array.from(TORCH.labels));
    const { losses } = await stepLosses(backend, teacher, plan(fixture, { epochs: 1, batchSize: 5 }));
    expect(losses).toHaveLength(1);
    expect(Math.abs(losses[0]! - TORCH.cases.distillation!.loss)).toBeLessThan(1e-5);
  });

  test.each([
    ['the batches unchanged (teacher logits computed once)', {}],
    ['mixup (teacher logits of each mixed batch)', { transform: mixupTransform(0.4, 3) }],
  ])("two epochs with %s: every step's loss is the float64 reference's", async (_, extra) => {
    const reference = createReferenceBackend();
    const want = await stepLosses(reference, modelTeacher(await teacherOn(reference), 'mlp-12'), plan(TWELVE, extra));
    const backend = BACKENDS[name]!();
    const got = await stepLosses(backend, modelTeacher(await teacherOn(backend), 'mlp-12'), plan(TWELVE, extra));
    expect(got.losses).toHaveLength(6);
    got.losses.forEach((loss, i) => expect(Math.abs(loss - want.losses[i]!), `step ${i}`).toBeLessThan(2e-5));
    for (const [param, tensor] of want.weights)
      tensor.data.forEach((w, i) => expect(Math.abs(got.weights.get(param)!.data[i]! - w), `${param}[${i}]`).toBeLessThan(1e-4));
  });

  test.each([
    ['the batches unchanged', {}],
    ['mixup', { transform: mixupTransform(0.4, 3) }],
  ])('with %s, an interrupted run resumed ends bit-identical to an unbroken one', async (_, extra) => {
    const backend = BACKENDS[name]!();
    const teacher = modelTeacher(await teacherOn(backend), 'mlp-12');
    const whole = await stepLosses(backend, teacher, plan(TWELVE, { ...extra, epochs: 3 }));

    // Interrupted in the second epoch's second batch (step 5), then continued from what it saved.
    const controller = new AbortController();
    let saved: { state: FitSnapshot['state']; weights: NamedTensors; optimizer: NamedTensors } | undefined;
    const first = await backend.createModel(STUDENT, fixtureWeights());
    const run = fitLoop(
      first,
      { ...plan(TWELVE, { ...extra, epochs: 3 }), teacher },
      env([], {
        signal: controller.signal,
        emit: (e) => (e.type === 'step' && e.epoch === 1 && e.step === 2 ? controller.abort() : undefined),
        save: async (s) => {
          saved = { state: structuredClone(s.state), weights: await s.model.getWeights(), optimizer: await s.trainer.getState() };
        },
      }),
    );
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(saved!.state.step).toBe(5);

    const resumed = await backend.createModel(STUDENT, saved!.weights);
    const losses: number[] = [];
    await fitLoop(
      resumed,
      { ...plan(TWELVE, { ...extra, epochs: 3 }), teacher: modelTeacher(await teacherOn(backend), 'mlp-12') },
      env(losses, { resume: { state: saved!.state, optimizer: saved!.optimizer } }),
    );
    expect(losses).toEqual(whole.losses.slice(5));
    for (const [param, tensor] of whole.weights)
      expect(Buffer.from((await resumed.getWeights()).get(param)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), param).toBe(true);
  });
});

describe('a teacher on the onnx backend', () => {
  const backend = createOnnxBackend();

  test('sees each batch as the transform left it: one teacher call a batch', async () => {
    const model = modelTeacher(await teacherOn(backend), 'mlp-12');
    const seen: Float32Array[] = [];
    const recording: Teacher = {
      ...model,
      logits: (x, size) => {
        seen.push(x.slice());
        return model.logits(x, size);
      },
    };
    const mixup = mixupTransform(0.4, 3);
    const mixed: Float32Array[] = [];
    const transform = {
      name: mixup.name,
      apply: (...args: Parameters<typeof mixup.apply>) => {
        const out = mixup.apply(...args);
        mixed.push(out.x.slice());
        return out;
      },
    };
    await stepLosses(backend, recording, plan(TWELVE, { transform }));
    expect(seen).toHaveLength(6);
    expect(seen).toEqual(mixed);
  });

  test('without a transform it scores the training set once, not once an epoch', async () => {
    const model = modelTeacher(await teacherOn(backend), 'mlp-12');
    const calls: number[] = [];
    const counting: Teacher = {
      ...model,
      logits: (x, size) => {
        calls.push(size);
        return model.logits(x, size);
      },
    };
    await stepLosses(backend, counting, plan(TWELVE, { epochs: 3 }));
    expect(calls).toEqual([12]);
  });

  test('a teacher of another class count is refused in one line naming both counts, before any step', async () => {
    const five = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'tout', units: 5, activation: 'softmax' }] });
    const teacher = modelTeacher(await backend.createModel(five, initializeWeights(five, createRng(1))), 'five-classes');
    const losses: number[] = [];
    await expect(fitLoop(await backend.createModel(STUDENT, fixtureWeights()), { ...plan(TWELVE), teacher }, env(losses))).rejects.toThrow(
      /^teacher "five-classes" scores 5 classes, the student 3: distil from a teacher of the same classes$/,
    );
    expect(losses).toEqual([]);
  });

  test('a teacher without the distillation loss, or not ending in softmax, is refused naming it', async () => {
    const teacher = modelTeacher(await teacherOn(backend), 'mlp-12');
    const student = await backend.createModel(STUDENT, fixtureWeights());
    const { lossOptions: _, ...trainer } = plan(TWELVE).trainer;
    await expect(fitLoop(student, { ...plan(TWELVE), trainer, teacher }, env([]))).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'teacher "mlp-12" is given but the loss does not distil: set trainer.lossOptions.distillation { temperature, alpha }',
    });
    const linear = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'tout', units: 3 }] });
    const raw = modelTeacher(await backend.createModel(linear, initializeWeights(linear, createRng(2))), 'no-softmax');
    await expect(fitLoop(student, { ...plan(TWELVE), teacher: raw }, env([]))).rejects.toThrow(
      /^teacher "no-softmax": its outputs are not class probabilities \(sample 0's sum to -?[0-9.e-]+\); give a classifier ending in softmax$/,
    );
  });
});
