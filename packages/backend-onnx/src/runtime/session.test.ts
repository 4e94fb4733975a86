import { validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../compiler/graph-builder.js';
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
});
