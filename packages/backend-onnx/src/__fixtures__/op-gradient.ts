import { createRng, sizeOf } from '@headstart/core';
import { GraphBuilder } from '../compiler/graph-builder.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { requireRuntime } from '../runtime/runtime.js';
import { Tape, type EmitContext } from '../compiler/tape.js';
import { centralDifferences, expectClose, randomValues } from './gradient-check.js';

/** An input of an op under test. */
export interface OpInput {
  shape: number[];
}

/**
 * Check one differentiable op: its output against `reference` (float64) and the gradient of
 * `Σ output·R` (R random) with respect to every input against central finite differences.
 */
export async function checkOpGradients(inputs: OpInput[], emit: (ctx: EmitContext, values: string[]) => string, reference: (values: Float64Array[]) => Float64Array): Promise<void> {
  const ort = await requireRuntime();
  const rng = createRng(13);
  const data = inputs.map((i) => randomValues(sizeOf(i.shape), rng));
  const b = new GraphBuilder('op');
  const tape = new Tape();
  const values = inputs.map((input, k) => b.input(`in${k}`, input.shape));
  values.forEach((v) => tape.watch(v));
  const y = emit({ b, tape }, values);
  const yShape = b.shapeOf(y) as number[];
  const r = b.input('r', yShape);
  const rData = randomValues(sizeOf(yShape), rng);
  b.output(y, 'y');
  const grads = tape.gradients(b, new Map([[y, r]]), values);
  values.forEach((v, k) => b.output(grads.get(v)!, `d${k}`));
  const session = await ort.InferenceSession.create(encodeModel(b.toModel('test')));
  const feeds = Object.fromEntries([...inputs.map((input, k) => [`in${k}`, new ort.Tensor('float32', Float32Array.from(data[k]!), input.shape)] as const), ['r', new ort.Tensor('float32', Float32Array.from(rData), yShape)] as const]);
  const out = await session.run(feeds);
  expectClose(out.y!.data as Float32Array, reference(data), 'op output');
  const objective = (vals: Float64Array[]): number => reference(vals).reduce((sum, v, i) => sum + v * rData[i]!, 0);
  data.forEach((d, k) => {
    const numeric = centralDifferences(d, (changed) => objective(data.map((o, j) => (j === k ? changed : o))));
    expectClose(out[`d${k}`]!.data as Float32Array, numeric, `gradient of input ${k}`);
  });
  await session.release();
}

/** Float64 matrix product of `[m, k]` and `[k, n]`, with optional transposition of either. */
export function matmul(a: Float64Array, aShape: number[], b: Float64Array, bShape: number[], transA = false, transB = false): Float64Array {
  const [m, k] = transA ? [aShape[1]!, aShape[0]!] : [aShape[0]!, aShape[1]!];
  const n = transB ? bShape[0]! : bShape[1]!;
  const at = (i: number, j: number): number => (transA ? a[j * aShape[1]! + i]! : a[i * aShape[1]! + j]!);
  const bt = (i: number, j: number): number => (transB ? b[j * bShape[1]! + i]! : b[i * bShape[1]! + j]!);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += at(i, p) * bt(p, j);
  return out;
}
