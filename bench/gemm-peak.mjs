// This machine's practical fp32 ceiling (issue 17, item 2): one plain ONNX Gemm in onnxruntime-node, the same
// onnxruntime and session settings as backend-onnx's training sessions (runtime/session.ts), at 1 and 2 intra-op
// threads; and the FLOPs of a training step counted from a dense workload's spec, to put its samples/s on that scale.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { inferShapes, validateSpec } from '@headstart/core';

// The backend's own graph builder and encoder (dist: `npm run bench` builds first), so the Gemm is built as its graphs are.
const { GraphBuilder } = await import('../packages/backend-onnx/dist/compiler/graph-builder.js');
const { encodeModel } = await import('../packages/backend-onnx/dist/onnx/onnx-proto.js');
const { VERSION } = await import('../packages/backend-onnx/dist/version.js');
const ortModule = await import(
  createRequire(import.meta.url).resolve('onnxruntime-node', { paths: [new URL('../packages/backend-onnx/', import.meta.url).pathname] })
);
const ort = ortModule.default ?? ortModule;

/** Gemm shapes timed: a large square one, and the `mlp` workload's largest layer (fc2, batch 64) in each direction. */
export const GEMM_SHAPES = [
  { name: '1024×1024×1024', m: 1024, k: 1024, n: 1024 },
  { name: 'mlp fc2 forward 64×256·256×256', m: 64, k: 256, n: 256 },
  { name: 'mlp fc2 kernel gradient 256×64·64×256 (transA)', m: 256, k: 64, n: 256, transA: true },
];

const int = (value) => ({ kind: 'int', value });

/**
 * A graph of one Gemm `Y = op(A)·B`. `firstRow`: output Y's first row alone (a Slice of 4·n bytes), not Y: onnxruntime-node
 * copies every output into a fresh ArrayBuffer, and 4 MiB of them a run change how later allocations of the process
 * behave (bench/README.md, "The MLP against this machine's Gemm peak": the `mlp` step cost 1.7× the CPU after them).
 */
function gemmGraph({ m, k, n, transA = false }, { firstRow = false } = {}) {
  const b = new GraphBuilder('gemm');
  const a = b.input('a', transA ? [k, m] : [m, k]);
  const bm = b.input('b', [k, n]);
  const y = b.op('Gemm', [a, bm], { transA: int(transA ? 1 : 0) }, [m, n], 'product');
  b.output(firstRow ? firstRowOf(b, y, n) : y, 'y');
  return { model: b.toModel(VERSION), flops: 2 * m * k * n };
}

/** `[1, n]`: the first row of the `[m, n]` value `y`, by a Slice (which keeps the node computing `y` in the graph). */
function firstRowOf(b, y, n) {
  const range = (value) => b.initializer('range', BigInt64Array.of(BigInt(value)), [1]);
  return b.op('Slice', [y, range(0), range(1), range(0)], {}, [1, n], 'row');
}

/**
 * The matrix products of one training step of a dense ReLU network (the `mlp` workload's, from its spec), alone in one
 * graph: forward `x·W`, kernel gradients `xᵀ·dY`, input gradients `dY·Wᵀ` (none for the first layer), with the shapes
 * and transpositions backend-onnx's train graph uses. What the step's Gemms cost without anything else (`firstRows`:
 * each output's first row alone, to leave out onnxruntime-node's copies of them).
 */
function denseGemmsGraph(spec, batch, { firstRows = false } = {}) {
  const out = (b, value, name, width) => b.output(firstRows ? firstRowOf(b, value, width) : value, name);
  const b = new GraphBuilder('dense_gemms');
  const layers = inferShapes(validateSpec(spec));
  let x = b.input('x', [batch, layers[0].inputShape[0]]);
  const acts = [];
  const kernels = layers.map(({ layer, inputShape }, i) => b.input(`w${i}`, [inputShape[0], layer.units]));
  let flops = 0;
  for (const [i, { layer, inputShape }] of layers.entries()) {
    acts.push(x);
    x = b.op('Gemm', [x, kernels[i]], {}, [batch, layer.units], 'fwd');
    flops += 2 * batch * inputShape[0] * layer.units;
  }
  out(b, x, 'y', layers.at(-1).layer.units);
  let dY = b.input('dy', [batch, layers.at(-1).layer.units]);
  for (let i = layers.length - 1; i >= 0; i--) {
    const [inputs, units] = [layers[i].inputShape[0], layers[i].layer.units];
    out(b, b.op('Gemm', [acts[i], dY], { transA: int(1) }, [inputs, units], 'dw'), `dw${i}`, units);
    flops += 2 * batch * inputs * units;
    if (i > 0) {
      dY = b.op('Gemm', [dY, kernels[i]], { transB: int(1) }, [batch, inputs], 'dx');
      flops += 2 * batch * inputs * units;
    }
  }
  return { model: b.toModel(VERSION), flops };
}

/** A session for `model` with backend-onnx's session settings at `threads` intra-op threads, and fixed inputs for it. */
async function graphSession(model, threads) {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
  });
  const feeds = {};
  for (const input of model.graph.input) {
    const dims = input.type.tensorType.shape.dim.map((d) => Number(d.dimValue));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = new ort.Tensor(
      'float32',
      Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
      dims,
    );
  }
  return { session, feeds };
}

/** One run of a dense network's training-step Gemms alone (see denseGemmsGraph) a call, at `threads` threads. */
export async function denseGemmsRunner(spec, batch, threads) {
  const { session, feeds } = await graphSession(denseGemmsGraph(spec, batch).model, threads);
  return () => session.run(feeds);
}

/**
 * Best GFLOP/s of one graph of Gemms at `threads` intra-op threads: `rounds` rounds of ≈`seconds` of runs each
 * (outputs preallocated by onnxruntime, inputs fixed), after warm-up; also the median round and the best by CPU time.
 */
async function timeGraph({ model, flops }, threads, { rounds = 5, seconds = 0.4 } = {}) {
  const { session, feeds } = await graphSession(model, threads);
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const perRound = [];
  let cpuFlops = 0;
  for (let r = 0; r < rounds; r++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    let runs = 0;
    while (performance.now() - start < seconds * 1000) {
      await session.run(feeds);
      runs++;
    }
    const wall = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    perRound.push((runs * flops) / wall / 1e9);
    cpuFlops = Math.max(cpuFlops, (runs * flops) / ((used.user + used.system) / 1e6) / 1e9);
  }
  await session.release();
  const sorted = [...perRound].sort((x, y) => x - y);
  return { gflops: sorted.at(-1), medianGflops: sorted[Math.floor(sorted.length / 2)], perCpuSecondGflops: cpuFlops };
}

/**
 * Best GFLOP/s of `Y = op(A)·B` for one shape of GEMM_SHAPES at `threads` intra-op threads (`firstRow`: fetching Y's
 * first row alone, see gemmGraph).
 */
export function gemmPeak(shape, threads, { firstRow = false, ...options } = {}) {
  return timeGraph(gemmGraph(shape, { firstRow }), threads, options);
}

/** Best GFLOP/s of a dense network's training-step Gemms alone (see denseGemmsGraph; `firstRows` too). */
export function denseGemmsPeak(spec, batch, threads, { firstRows = false, ...options } = {}) {
  return timeGraph(denseGemmsGraph(spec, batch, { firstRows }), threads, options);
}

/**
 * Every shape, and `dense`'s step Gemms (`{ name, spec, batch }`), at 1 and 2 threads (1 on one core): bench rows; the
 * 1024³ Gemm and the step's Gemms also with their outputs' first rows alone fetched (see gemmGraph).
 */
export async function gemmPeaks(dense, options) {
  const rows = [];
  const threadCounts = [...new Set([1, Math.min(2, availableParallelism())])];
  for (const threads of threadCounts) {
    for (const shape of GEMM_SHAPES) rows.push({ shape: shape.name, threads, ...(await gemmPeak(shape, threads, options)) });
    const [square] = GEMM_SHAPES;
    rows.push({
      shape: `${square.name}, first row fetched`,
      threads,
      ...(await gemmPeak(square, threads, { ...options, firstRow: true })),
    });
    if (dense) {
      rows.push({
        shape: `${dense.name}: a step's Gemms alone`,
        threads,
        ...(await denseGemmsPeak(dense.spec, dense.batch, threads, options)),
      });
      rows.push({
        shape: `${dense.name}: a step's Gemms alone, first rows fetched`,
        threads,
        ...(await denseGemmsPeak(dense.spec, dense.batch, threads, { ...options, firstRows: true })),
      });
    }
  }
  return rows;
}

/**
 * FLOPs of one training step of a dense network (dense layers only, as the `mlp` workload) with Adam, counted from
 * its spec: matrix products 2·m·k·n each (forward `x·W`, kernel gradient `xᵀ·dY`, input gradient `dY·Wᵀ` for every
 * layer but the first, whose input needs none), and element-wise work one FLOP per element per op as the compiled
 * graph does it (bias add and its gradient's row sum, ReLU and its gradient, softmax cross-entropy ≈ 5 per logit,
 * Adam's 12 per parameter: m 3, v 4, √v + ε 2, m / d 1, × step 1, w − 1).
 */
export function denseTrainingFlops(spec, batch) {
  let matmul = 0;
  let elementwise = 0;
  let parameters = 0;
  for (const [i, { layer, inputShape }] of inferShapes(validateSpec(spec)).entries()) {
    if (layer.type !== 'dense') throw new Error(`denseTrainingFlops: layer "${layer.name}" is ${layer.type}, not dense`);
    const [inputs, units] = [inputShape[0], layer.units];
    matmul += 2 * batch * inputs * units * (i === 0 ? 2 : 3);
    parameters += inputs * units + (layer.useBias ? units : 0);
    elementwise += batch * units * ((layer.useBias ? 2 : 0) + (layer.activation === 'relu' ? 2 : layer.activation === 'softmax' ? 5 : 0));
  }
  elementwise += 12 * parameters;
  return { matmul, elementwise, total: matmul + elementwise, parameters };
}
