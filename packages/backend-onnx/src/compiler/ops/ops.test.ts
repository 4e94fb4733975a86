import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph-builder.js';
import { encodeModel } from '../../onnx/onnx-proto.js';
import { requireRuntime } from '../../runtime/runtime.js';
import { Tape } from '../tape.js';
import { maxPool } from './pool.js';
import { windowGeometry } from './window-geometry.js';
import { checkOpGradients, matmul } from '../../__fixtures__/op-gradient.js';
import { add, mul } from './elementwise.js';
import { gemm } from './gemm.js';
import { flatten, transpose } from './shape-ops.js';

describe('op gradient rules against central finite differences', () => {
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`Gemm transA=${transA} transB=${transB} with a broadcast bias`, async () => {
      const aShape = transA ? [4, 3] : [3, 4];
      const bShape = transB ? [5, 4] : [4, 5];
      await checkOpGradients(
        [{ shape: aShape }, { shape: bShape }, { shape: [5] }],
        (ctx, [a, b, c]) => gemm(ctx, a!, b!, c, { transA, transB }),
        ([a, b, c]) => matmul(a!, aShape, b!, bShape, transA, transB).map((v, i) => v + c![i % 5]!),
      );
    });
  }

  it('Add with broadcasting over leading and unit axes', async () => {
    await checkOpGradients(
      [{ shape: [2, 3, 4] }, { shape: [3, 1] }],
      (ctx, [a, b]) => add(ctx, a!, b!),
      ([a, b]) => a!.map((v, i) => v + b![Math.floor(i / 4) % 3]!),
    );
  });

  it('Mul with broadcasting', async () => {
    await checkOpGradients(
      [{ shape: [2, 3] }, { shape: [3] }],
      (ctx, [a, b]) => mul(ctx, a!, b!),
      ([a, b]) => a!.map((v, i) => v * b![i % 3]!),
    );
  });

  it('Transpose and Flatten', async () => {
    await checkOpGradients(
      [{ shape: [2, 3, 4] }],
      (ctx, [a]) => flatten(ctx, transpose(ctx, a!, [0, 2, 1])),
      ([a]) => {
        const out = new Float64Array(24);
        for (let n = 0; n < 2; n++)
          for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) out[(n * 4 + i) * 3 + j] = a![(n * 3 + j) * 4 + i]!;
        return out;
      },
    );
  });
});

describe('max pooling ties', () => {
  /** The input gradient of Σ maxPool(x) for a 4×4 single-channel x. */
  async function poolGradient(x: number[], pool: number, stride: number): Promise<number[]> {
    const ort = await requireRuntime();
    const b = new GraphBuilder('ties');
    const tape = new Tape();
    const input = b.input('x', [1, 1, 4, 4]);
    tape.watch(input);
    const geometry = windowGeometry([4, 4], pool, stride, 'valid');
    const y = maxPool({ b, tape }, input, geometry);
    const ones = b.initializer('ones', new Float32Array(geometry.output[0] * geometry.output[1]).fill(1), [1, 1, ...geometry.output]);
    b.output(tape.gradients(b, new Map([[y, ones]]), [input]).get(input)!, 'dx');
    const session = await ort.InferenceSession.create(encodeModel(b.toModel('test')));
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 1, 4, 4]) });
    return Array.from(out.dx!.data as Float32Array);
  }

  it('gives the gradient to the first maximum of a window (tiling windows)', async () => {
    const x = [0, 0, 1, 2, 0, 0, 2, 2, 5, 3, 1, 1, 3, 5, 1, 1];
    expect(await poolGradient(x, 2, 2)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('gives the gradient to the first maximum of a window (overlapping windows)', async () => {
    // Four 3×3 windows over equal values: each window's top-left input takes its gradient.
    expect(await poolGradient(new Array<number>(16).fill(0), 3, 1)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
