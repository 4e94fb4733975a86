import { createRng, validateSpec, type ModelSpecInput, type OptimizerConfig } from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import { OptimizerEmitter } from '../compiler/optimizer-update.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { AdamKernel, kernelBytes, type AdamVariant } from './adam-kernel.js';
import { requireRuntime } from './runtime.js';
import { threadsFor } from './threads.js';
import { wasm } from './wasm-api.js';

/** Bitwise equality (Object.is tells -0 from 0 and matches NaN). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  return a.findIndex((v, i) => !Object.is(v, b[i]));
}

/** Values of many magnitudes and signs, with zeros of both signs and subnormals among them. */
function values(n: number, seed: number, positive = false): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, (_, i) => {
    if (i % 97 === 0) return i % 2 ? -0 : 0;
    if (i % 89 === 0) return 1e-40;
    const magnitude = 10 ** (rng.next() * 12 - 9);
    return positive ? magnitude : (rng.next() < 0.5 ? -1 : 1) * magnitude;
  });
}

const cases: { variant: AdamVariant; optimizer: OptimizerConfig; weightDecay: number }[] = [
  { variant: 'plain', optimizer: { type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }, weightDecay: 0 },
  { variant: 'l2', optimizer: { type: 'adam' }, weightDecay: 0.01 },
  { variant: 'decoupled', optimizer: { type: 'adamw' }, weightDecay: 0.1 },
];

describe('AdamKernel', () => {
  for (const c of cases)
    it(`updates bit-identically to the train graph's Adam: ${c.variant}`, async () => {
      const ort = await requireRuntime();
      const n = 1001; // not a multiple of 4: the last vector is partly scratch
      const [p, g, m, v] = [values(n, 1), values(n, 2), values(n, 3), values(n, 4, true)];
      const [lr, step] = [Math.fround(3e-3), 37];

      // The graph's update, as buildTrainGraph emits it for one flat buffer.
      const b = new GraphBuilder('adam');
      const ins = ['p', 'g', 'm', 'v'].map((name) => b.input(name, [n]));
      const [lrInput, stepInput] = [b.input('lr', []), b.input('step', [])];
      const emitter = new OptimizerEmitter(b, c.optimizer, stepInput);
      const slots = new Map([
        ['m', ins[2]!],
        ['v', ins[3]!],
      ]);
      const updated = emitter.update({ param: ins[0]!, grad: ins[1]!, lr: lrInput, weightDecay: c.weightDecay, slots });
      const scalars = emitter.adamScalars(lrInput);
      b.output(updated.param, 'p2');
      b.output(updated.slots.get('m')!, 'm2');
      b.output(updated.slots.get('v')!, 'v2');
      b.output(scalars.stepSize, 'stepSize');
      b.output(scalars.scaledEpsilon, 'epsilon');
      const session = await ort.InferenceSession.create(encodeModel(b.toModel('test')));
      const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
      const out = await session.run({
        p: tensor(p, [n]),
        g: tensor(g, [n]),
        m: tensor(m, [n]),
        v: tensor(v, [n]),
        lr: tensor(Float32Array.of(lr), []),
        step: tensor(Float32Array.of(step), []),
      });
      await session.release();

      // The kernel on copies of the same buffers.
      const bytes = kernelBytes(n);
      const memory = new wasm!.Memory({ initial: 1 });
      const views = [p, g, m, v].map((data, i) => {
        const view = new Float32Array(memory.buffer, i * bytes, n);
        view.set(data);
        return view;
      });
      const config = c.optimizer as Extract<OptimizerConfig, { type: 'adam' | 'adamw' }>;
      const [beta1, beta2] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999];
      const f = Math.fround;
      new AdamKernel(memory).update(
        c.variant,
        { params: 0, gradient: bytes, m: 2 * bytes, v: 3 * bytes, bytes },
        {
          weightDecay: f(c.weightDecay),
          decay: f(1 - f(lr * f(c.weightDecay))),
          beta1: f(beta1),
          oneMinusBeta1: f(1 - beta1),
          beta2: f(beta2),
          oneMinusBeta2: f(1 - beta2),
          epsilon: (out.epsilon!.data as Float32Array)[0]!,
          stepSize: (out.stepSize!.data as Float32Array)[0]!,
        },
      );
      for (const [name, view] of [
        ['p2', views[0]!],
        ['m2', views[2]!],
        ['v2', views[3]!],
      ] as const) {
        const expected = out[name]!.data as Float32Array;
        const i = firstDifference(view, expected);
        expect(i, `${name}[${i}]: kernel ${view[i]}, graph ${expected[i]}`).toBe(-1);
      }
      // Gradients are read, never written.
      expect(firstDifference(views[1]!, g)).toBe(-1);
    });
});

describe('a single Adam step', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fetches the flat gradient, not updated parameters and slots (the update runs outside the session)', async () => {
    const ort = await requireRuntime();
    const fetched: string[][] = [];
    // onnxruntime-common's session class: every session the backend creates runs through its prototype.
    const prototype = (ort.InferenceSession as unknown as { prototype: InferenceSession }).prototype;
    const run = prototype.run;
    vi.spyOn(prototype, 'run').mockImplementation(function (this: InferenceSession, ...args: unknown[]) {
      if (args[1] && typeof args[1] === 'object') fetched.push(Object.keys(args[1]).sort());
      return (run as (...a: unknown[]) => Promise<InferenceSession.ReturnType>).apply(this, args);
    });
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'h', units: 5, activation: 'relu' },
        { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
      ],
    });
    const model = await createOnnxBackend().createModel(spec, undefined, { seed: 1 });
    const names = model.parameters().map((p) => p.name);
    const trainer = model.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    await trainer.step({ x: new Float32Array(8).fill(0.5), labels: Int32Array.of(0, 2), size: 2 });
    expect(fetched).toEqual([['adam.epsilon', 'adam.step_size.0', 'correct', 'gradient.group.0', 'loss']]);
    model.dispose();
  });

  // A session sized for a larger batch than the step's gets more intra-op threads: on a busy machine they spin, and cost
  // the MLP's step 3–5× its CPU time (found when the first build sized this session for TYPICAL_BATCH).
  const wide: ModelSpecInput = {
    inputShape: [64],
    layers: [
      { type: 'dense', name: 'h1', units: 256, activation: 'relu' },
      { type: 'dense', name: 'h2', units: 256, activation: 'relu' },
      { type: 'dense', name: 'out', units: 10, activation: 'softmax' },
    ],
  };
  const differs = threadsFor(validateSpec(wide), 256) !== threadsFor(validateSpec(wide), 2);
  it.skipIf(!differs)(
    `runs on the threads the first batch's size calls for${differs ? '' : ' (skipped: one core or HEADSTART_ONNX_THREADS set, every batch size gets the same threads)'}`,
    async () => {
      const spec = validateSpec(wide);
      const model = await createOnnxBackend().createModel(spec, undefined, { seed: 1 });
      const names = model.parameters().map((p) => p.name);
      const trainer = model.trainer({
        trainable: names,
        groups: [{ name: 'all', params: names, lr: 0.01 }],
        optimizer: { type: 'adam' },
        loss: 'softmaxCrossEntropy',
      });
      const ort = await requireRuntime();
      // The step's sessions alone (the model made its own above).
      const threads: (number | undefined)[] = [];
      const create = ort.InferenceSession.create;
      vi.spyOn(ort.InferenceSession, 'create').mockImplementation(((model: Uint8Array, options?: InferenceSession.SessionOptions) => {
        threads.push(options?.intraOpNumThreads);
        return (create as (m: Uint8Array, o?: InferenceSession.SessionOptions) => Promise<InferenceSession>)(model, options);
      }) as typeof ort.InferenceSession.create);
      await trainer.step({ x: new Float32Array(2 * 64).fill(0.5), labels: Int32Array.of(0, 2), size: 2 });
      expect(threads).toEqual([threadsFor(spec, 2)]);
      model.dispose();
    },
  );
});
