#!/usr/bin/env node
// A plain conv's forward, input and kernel gradients at resnet18's small-map shapes (3×32×32, batch 32) as onnxruntime's
// Conv (ops/conv.ts's gradients) and as one Gemm over the batch (ops/small-map-gemm.ts), each a graph of its own, runs
// alternated in one process; CPU ms per run min / median, wall min, and the largest difference from the Conv form:
//   node bench/small-map-conv-nodes.mjs [RUNS] [THREADS]
import { createRequire } from 'node:module';
import { convInputGradient, kernelGradient } from '../packages/backend-onnx/dist/compiler/ops/conv.js';
import { smallMapGemm } from '../packages/backend-onnx/dist/compiler/ops/small-map-gemm.js';
import { GraphBuilder } from '../packages/backend-onnx/dist/compiler/graph-builder.js';
import { ints } from '../packages/backend-onnx/dist/onnx/attributes.js';
import { encodeModel } from '../packages/backend-onnx/dist/onnx/onnx-proto.js';
import { alternateRuns } from './alternate-runs.mjs';

const ort = createRequire(new URL('../packages/backend-onnx/package.json', import.meta.url))('onnxruntime-node');
const [runs = '20', threads = '1'] = process.argv.slice(2);
const N = 32;
// in channels, out channels, input side, kernel, stride, pad (after ops/conv.ts's usedTaps cut), name.
const SHAPES = [
  [256, 256, 2, 3, 1, 1, 'layer3 3×3'],
  [128, 256, 4, 3, 2, 1, 'layer3 entry 3×3 s2'],
  [128, 256, 4, 1, 2, 0, 'layer3 downsample 1×1 s2'],
  [256, 512, 2, 2, 2, 0, 'layer4 entry (3×3 s2 cut to 2×2)'],
  [256, 512, 2, 1, 2, 0, 'layer4 downsample 1×1 s2'],
  [128, 128, 4, 3, 1, 1, 'layer2 3×3'],
];

function build(variant, c, o, h, k, s, p) {
  const ho = Math.floor((h + 2 * p - k) / s) + 1;
  const g = { kernel: [k, k], strides: [s, s], pads: [p, p, p, p], input: [h, h], output: [ho, ho] };
  const b = new GraphBuilder('conv');
  const x = b.input('x', [N, c, h, h]);
  const w = b.input('w', [o, c, k, k]);
  const dY = b.input('dy', [N, o, ho, ho]);
  if (variant === 'conv') {
    b.output(b.op('Conv', [x, w], { kernel_shape: ints(g.kernel), strides: ints(g.strides), pads: ints(g.pads) }, [N, o, ho, ho]), 'y');
    b.output(convInputGradient(b, dY, w, g, [N, c, h, h], 1), 'dx');
    b.output(kernelGradient(b, x, dY, g, [o, c, k, k], 1), 'dw');
  } else {
    const form = smallMapGemm(b, x, w, g);
    b.output(form.y, 'y');
    b.output(form.inputGradient(b, dY), 'dx');
    b.output(variant === 'mixed' ? kernelGradient(b, x, dY, g, [o, c, k, k], 1) : form.kernelGradient(b, dY), 'dw');
  }
  return { model: encodeModel(b.toModel('bench')), ho };
}

const options = { intraOpNumThreads: Number(threads), interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } };
const med = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
for (const [c, o, h, k, s, p, name] of SHAPES) {
  const sessions = [];
  let ho = 0;
  for (const variant of ['conv', 'gemm', 'mixed']) {
    const built = build(variant, c, o, h, k, s, p);
    ho = built.ho;
    sessions.push({ name: variant, session: await ort.InferenceSession.create(built.model, options), cpu: [], wall: [] });
  }
  const feeds = {
    x: new ort.Tensor('float32', rand(N * c * h * h), [N, c, h, h]),
    w: new ort.Tensor('float32', rand(o * c * k * k), [o, c, k, k]),
    dy: new ort.Tensor('float32', rand(N * o * ho * ho), [N, o, ho, ho]),
  };
  const outputs = [];
  for (const v of sessions) outputs.push(await v.session.run(feeds));
  await alternateRuns(sessions, feeds, Number(runs));
  const diff = (k2) =>
    Math.max(...['y', 'dx', 'dw'].map((n) => outputs[k2][n].data.reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[0][n].data[i])), 0)));
  const line = sessions.map(
    (v, k2) =>
      `${v.name} ${Math.min(...v.cpu).toFixed(2)} / ${med(v.cpu).toFixed(2)} (wall ${Math.min(...v.wall).toFixed(2)}, Δ ${diff(k2).toExponential(1)})`,
  );
  console.log(`${name} [${N},${c},${h},${h}]→[${N},${o},${ho},${ho}] t${threads}: ${line.join(' · ')}`);
}
