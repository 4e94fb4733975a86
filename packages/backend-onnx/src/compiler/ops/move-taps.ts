import type { GraphBuilder } from '../graph-builder.js';

/**
 * A kernel `[O, C, kh, kw]` with its taps moved into an `[O, C, toH, toW]` one: `to(i, j)` is where tap
 * `(i, j)` goes (undefined: dropped); taps nothing lands on are 0. One MatMul of the `[O·C, kh·kw]` rows
 * with a 0/1 matrix, exact (each output is one input times 1, or 0). onnxruntime's Pad and Slice on the two
 * innermost axes copy a few floats at a time: on resnet18's kernels (`[512,512,1,1]` → `[512,512,3,3]`,
 * the 180° turn of `[256,256,3,3]`) the MatMul took 0.25–0.4× their CPU (bench/README.md).
 */
export function moveTaps(
  b: GraphBuilder,
  kernel: string,
  [toH, toW]: [number, number],
  to: (i: number, j: number) => [number, number] | undefined,
  hint: string,
): string {
  const [o, c, kh, kw] = b.shapeOf(kernel) as [number, number, number, number];
  const placement = new Float32Array(kh * kw * toH * toW);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const target = to(i, j);
      if (target) placement[(i * kw + j) * toH * toW + target[0] * toW + target[1]] = 1;
    }
  const rows = b.op('Reshape', [kernel, b.int64s([o * c, kh * kw])], {}, [o * c, kh * kw], `${hint}_rows`);
  const moved = b.op(
    'MatMul',
    [rows, b.initializer(`${hint}_placement`, placement, [kh * kw, toH * toW])],
    {},
    [o * c, toH * toW],
    `${hint}_moved`,
  );
  return b.op('Reshape', [moved, b.int64s([o, c, toH, toW])], {}, [o, c, toH, toW], hint);
}
