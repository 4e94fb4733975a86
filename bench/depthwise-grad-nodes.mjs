#!/usr/bin/env node
// Formulations of a depthwise 3×3 kernel gradient at mobilenet_v2's shapes (3×32×32, batch 32), each a graph of its own,
// runs alternated in one process; CPU ms per run min / median, and the largest difference from the first formulation:
//   node bench/depthwise-grad-nodes.mjs [RUNS] [THREADS] [VARIANTS…]
import { createRequire } from 'node:module';
import { GraphBuilder } from '../packages/backend-onnx/dist/compiler/graph-builder.js';
import { int, ints } from '../packages/backend-onnx/dist/onnx/attributes.js';
import { encodeModel } from '../packages/backend-onnx/dist/onnx/onnx-proto.js';
import { alternateRuns } from './alternate-runs.mjs';

const ort = createRequire(new URL('../packages/backend-onnx/package.json', import.meta.url))('onnxruntime-node');
const [runs = '40', threads = '1', ...only] = process.argv.slice(2);
const N = 32;
// mobilenet_v2's depthwise convs on 32×32 inputs: channels, input side, stride (3×3, padding 1).
const SHAPES = [
  [32, 16, 1],
  [96, 16, 2],
  [144, 8, 1],
  [144, 8, 2],
  [192, 4, 1],
  [192, 4, 2],
  [384, 2, 1],
  [576, 2, 1],
];

/** The grouped Conv of ops/conv.ts (x planes as input channels, dY as the kernel). */
function groupedConv(b, x, dY, c, h, s) {
  const ho = Math.floor((h + 2 - 3) / s) + 1;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, N, h, h]);
  const planes = b.op('Reshape', [xT, b.int64s([1, -1, h, h])], {}, [1, c * N, h, h]);
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [c, N, ho, ho]);
  const extra = h + 2 - (ho - 1) * s - 3;
  const end = Math.max(0, 1 - extra);
  const k2 = h + 1 + end - (ho - 1) * s;
  const attributes = { group: int(c), pads: ints([1, 1, end, end]), dilations: ints([s, s]), kernel_shape: ints([ho, ho]) };
  let dW = b.op('Conv', [planes, dYT], attributes, [1, c, k2, k2]);
  if (k2 !== 3) dW = b.op('Slice', [dW, b.int64s([0, 0]), b.int64s([3, 3]), b.int64s([2, 3])], {}, [1, c, 3, 3]);
  return b.op('Reshape', [dW, b.int64s([c, 1, 3, 3])], {}, [c, 1, 3, 3]);
}

/** One strided Slice of the padded NCHW input per tap, times dY, summed over N, H, W. */
function tapsNchw(b, x, dY, c, h, s) {
  const ho = Math.floor((h + 2 - 3) / s) + 1;
  const xp = b.op('Pad', [x, b.int64s([0, 0, 1, 1, 0, 0, 1, 1])], {}, [N, c, h + 2, h + 2]);
  const sums = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * s + 1, j + (ho - 1) * s + 1]), b.int64s([2, 3]), b.int64s([s, s])];
      const win = b.op('Slice', [xp, ...bounds], {}, [N, c, ho, ho]);
      sums.push(b.op('ReduceSum', [b.binary('Mul', win, dY), b.int64s([0, 2, 3])], { keepdims: int(1) }, [1, c, 1, 1]));
    }
  const all = b.op('Concat', sums, { axis: int(3) }, [1, c, 1, 9]);
  return b.op('Reshape', [all, b.int64s([c, 1, 3, 3])], {}, [c, 1, 3, 3]);
}

/** The same taps without Pad: each tap slices x and dY to the rows and columns where they meet (stride 1 only). */
function tapsNoPad(b, x, dY, c, h, s) {
  if (s !== 1) return tapsNchw(b, x, dY, c, h, s);
  const sums = [];
  const range = (t) => (t === 0 ? [1, h, 0, h - 1] : t === 1 ? [0, h, 0, h] : [0, h - 1, 1, h]);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const [dy0, dy1, x0, x1] = range(i);
      const [dx0, dx1, xx0, xx1] = range(j);
      const cut = (v, r0, r1, c0, c1) =>
        r0 === 0 && c0 === 0 && r1 === h && c1 === h
          ? v
          : b.op('Slice', [v, b.int64s([r0, c0]), b.int64s([r1, c1]), b.int64s([2, 3])], {}, [N, c, r1 - r0, c1 - c0]);
      const prod = b.binary('Mul', cut(x, x0, x1, xx0, xx1), cut(dY, dy0, dy1, dx0, dx1));
      sums.push(b.op('ReduceSum', [prod, b.int64s([0, 2, 3])], { keepdims: int(1) }, [1, c, 1, 1]));
    }
  const all = b.op('Concat', sums, { axis: int(3) }, [1, c, 1, 9]);
  return b.op('Reshape', [all, b.int64s([c, 1, 3, 3])], {}, [c, 1, 3, 3]);
}

/** Channels first ([C, N, H, W]), a Slice per tap, times dY, summed over the contiguous rest. */
function tapsChannelsFirst(b, x, dY, c, h, s, matmul = false) {
  const ho = Math.floor((h + 2 - 3) / s) + 1;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, N, h, h]);
  const xp = b.op('Pad', [xT, b.int64s([0, 0, 1, 1, 0, 0, 1, 1])], {}, [c, N, h + 2, h + 2]);
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [c, N, ho, ho]);
  const dYCol = matmul ? b.op('Reshape', [dYT, b.int64s([c, -1, 1])], {}, [c, N * ho * ho, 1]) : undefined;
  const sums = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * s + 1, j + (ho - 1) * s + 1]), b.int64s([2, 3]), b.int64s([s, s])];
      const win = b.op('Slice', [xp, ...bounds], {}, [c, N, ho, ho]);
      if (matmul) {
        const row = b.op('Reshape', [win, b.int64s([c, 1, -1])], {}, [c, 1, N * ho * ho]);
        sums.push(b.op('MatMul', [row, dYCol], {}, [c, 1, 1]));
      } else sums.push(b.op('ReduceSum', [b.binary('Mul', win, dYT), b.int64s([1, 2, 3])], { keepdims: int(1) }, [c, 1, 1, 1]));
    }
  const all = b.op('Concat', sums, { axis: int(1) }, matmul ? [c, 9, 1] : [c, 9, 1, 1]);
  return b.op('Reshape', [all, b.int64s([c, 1, 3, 3])], {}, [c, 1, 3, 3]);
}

/** im2col: the nine channel-first windows concatenated, one MatMul batched over C. */
function im2col(b, x, dY, c, h, s) {
  const ho = Math.floor((h + 2 - 3) / s) + 1;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, N, h, h]);
  const xp = b.op('Pad', [xT, b.int64s([0, 0, 1, 1, 0, 0, 1, 1])], {}, [c, N, h + 2, h + 2]);
  const per = b.op('Reshape', [xp, b.int64s([c, 1, N, h + 2, h + 2])], {}, [c, 1, N, h + 2, h + 2]);
  const wins = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * s + 1, j + (ho - 1) * s + 1]), b.int64s([3, 4]), b.int64s([s, s])];
      wins.push(b.op('Slice', [per, ...bounds], {}, [c, 1, N, ho, ho]));
    }
  const stacked = b.op('Concat', wins, { axis: int(1) }, [c, 9, N, ho, ho]);
  const patches = b.op('Reshape', [stacked, b.int64s([c, 9, -1])], {}, [c, 9, N * ho * ho]);
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [c, N, ho, ho]);
  const dYCol = b.op('Reshape', [dYT, b.int64s([c, -1, 1])], {}, [c, N * ho * ho, 1]);
  const dW = b.op('MatMul', [patches, dYCol], {}, [c, 9, 1]);
  return b.op('Reshape', [dW, b.int64s([c, 1, 3, 3])], {}, [c, 1, 3, 3]);
}

const VARIANTS = {
  groupedConv,
  tapsNchw,
  tapsNoPad,
  tapsChannelsFirst,
  tapsMatMul: (b, x, dY, c, h, s) => tapsChannelsFirst(b, x, dY, c, h, s, true),
  im2col,
};
const chosen = only.length ? only : Object.keys(VARIANTS);
const options = { intraOpNumThreads: Number(threads), interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } };
const med = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
for (const [c, h, s] of SHAPES) {
  const ho = Math.floor((h + 2 - 3) / s) + 1;
  const sessions = [];
  for (const name of chosen) {
    const b = new GraphBuilder('dw');
    const x = b.input('x', [N, c, h, h]);
    const dY = b.input('dy', [N, c, ho, ho]);
    b.output(VARIANTS[name](b, x, dY, c, h, s), 'dw');
    sessions.push({ name, session: await ort.InferenceSession.create(encodeModel(b.toModel('bench')), options), cpu: [], wall: [] });
  }
  const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const feeds = {
    x: new ort.Tensor('float32', rand(N * c * h * h), [N, c, h, h]),
    dy: new ort.Tensor('float32', rand(N * c * ho * ho), [N, c, ho, ho]),
  };
  const outputs = [];
  for (const v of sessions) outputs.push((await v.session.run(feeds)).dw.data);
  await alternateRuns(sessions, feeds, Number(runs));
  const line = sessions.map((v, k) => {
    const diff = Math.max(...outputs[k].map((value, i) => Math.abs(value - outputs[0][i])));
    return `${v.name} ${Math.min(...v.cpu).toFixed(2)} / ${med(v.cpu).toFixed(2)} (wall ${Math.min(...v.wall).toFixed(2)}, Δ ${diff.toExponential(1)})`;
  });
  console.log(`[${N},${c},${h},${h}] s${s}: ${line.join(' · ')}`);
}
