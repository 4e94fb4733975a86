import { test } from 'vitest';
import { GraphBuilder } from './graph-builder.js';
import { encodeModel, decodeModel } from './onnx-proto.js';
import { requireRuntime } from './runtime.js';

test('scratch', async () => {
  const ort = await requireRuntime();
  const b = new GraphBuilder();
  const x = b.input('x', ['N', 4]);
  const w = b.input('w', [4, 3]);
  const bias = b.input('b', [3]);
  const y = b.op('Gemm', [x, w, bias], {}, ['N', 3]);
  const w2 = b.binary('Sub', w, b.scalar(0.5));
  b.output(y, 'y');
  b.output(w2, 'w.next');
  const bytes = encodeModel(b.toModel('0'));
  console.log(JSON.stringify(decodeModel(bytes)).slice(0, 300));
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const X = new ort.Tensor('float32', new Float32Array(8).fill(1), [2, 4]);
  const W = new ort.Tensor('float32', new Float32Array(12).fill(2), [4, 3]);
  const B = new ort.Tensor('float32', new Float32Array(3).fill(1), [3]);
  const outW = new ort.Tensor('float32', new Float32Array(12), [4, 3]);
  const r = await s.run({ x: X, w: W, b: B }, { y: null, 'w.next': outW });
  console.log(r.y!.data, r['w.next']!.data === outW.data, outW.data);
});
