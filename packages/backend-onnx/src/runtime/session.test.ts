import { validateSpec } from '@headstart/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, test, vi } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { opaqueMlp } from '../__fixtures__/opaque-mlp.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { requireRuntime } from './runtime.js';
import { createSession, sessionOptions } from './session.js';

const spec = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'd', units: 2 }] });

describe('sessions', () => {
  test('intra-op threads block instead of spinning while they wait (2–2.4× faster 2-thread steps on a shared machine)', async () => {
    const ort = await requireRuntime();
    const options = sessionOptions({ ort, threads: 2 }, spec, 8);
    expect(options.intraOpNumThreads).toBe(2);
    expect(options.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });

  test('onnxruntime takes those options: a 2-thread session runs', async () => {
    const ort = await requireRuntime();
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 4]);
    b.output(b.unary('Neg', x), 'y');
    const session = await createSession({ ort, threads: 2 }, b.toModel('test'), spec, 8);
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, -2, 3, 0]), [1, 4]) });
    expect([...(y!.data as Float32Array)]).toEqual([-1, 2, -3, -0]);
    await session.release();
  });

  test('every session the backend opens blocks instead of spinning and takes HEADSTART_ONNX_THREADS: the import probe, an opaque block, compiled graphs', async () => {
    const ort = await requireRuntime();
    // A spy over onnxruntime's own create: every session below is real, only its options are recorded.
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const asked = process.env.HEADSTART_ONNX_THREADS;
    process.env.HEADSTART_ONNX_THREADS = '1';
    const file = join(mkdtempSync(join(tmpdir(), 'headstart-session-')), 'mlp-sin.onnx');
    let calls: unknown[][] = [];
    writeFileSync(file, encodeModel(opaqueMlp('Sin')));
    try {
      const backend = createOnnxBackend();
      const { spec, weights } = await backend.importModel!(file);
      const imported = create.mock.calls.length;
      const model = await backend.createModel(spec, weights, { seed: 1 });
      const x = Float32Array.from({ length: 4 * 64 }, (_, i) => (i % 7) / 7);
      await model.predict(x, 4);
      const head = ['fc2.kernel', 'fc2.bias'];
      const trainer = model.trainer({
        trainable: head,
        groups: [{ name: 'all', params: head, lr: 0.01 }],
        optimizer: { type: 'adam' },
        loss: 'softmaxCrossEntropy',
      });
      await trainer.step({ x, labels: Int32Array.of(0, 1, 2, 3), size: 4 });
      trainer.dispose();
      model.dispose();
      calls = [...create.mock.calls];
      expect(imported).toBeGreaterThanOrEqual(1);
      // The block's session, the head's prediction session and its training session at least.
      expect(calls.length - imported).toBeGreaterThanOrEqual(3);
    } finally {
      create.mockRestore();
      if (asked === undefined) delete process.env.HEADSTART_ONNX_THREADS;
      else process.env.HEADSTART_ONNX_THREADS = asked;
    }
    for (const call of calls) {
      const options = call.find((arg): arg is InferenceSession.SessionOptions => typeof arg === 'object' && !ArrayBuffer.isView(arg));
      expect(options?.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
      expect(options?.intraOpNumThreads).toBe(1);
    }
  });
});
