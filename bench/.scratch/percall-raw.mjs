import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { buildMultiStepGraph } = await import('../../packages/backend-onnx/dist/multi-step-graph.js');
const { encodeModel } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const g = m.buildTrainGraph({ spec: headSpec, params, plan: planTraining(headSpec, opts, params), optimizer: opts.optimizer, loss: opts.loss });
const multi = buildMultiStepGraph(g);
const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: process.env.NOPAT ? false : true };
const s = await ort.InferenceSession.create(encodeModel(multi.model), so);
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const mk = (K) => ({ feeds: { 'stacked.x': T(new Float32Array(K * 32 * 64).map((_, i) => Math.sin(i)), [K, 32, 64]), 'stacked.target': T(new Float32Array(K * 320).map((_, i) => +(i % 10 === 0)), [K, 32, 10]), 'stacked.optim.step': T(new Float32Array(K).map((_, i) => i + 1), [K]), 'stacked.lr.0': T(new Float32Array(K).fill(0.01), [K]),
  'initial.group.0.params': T(new Float32Array(650), [650]), 'initial.group.0.m': T(new Float32Array(650), [650]), 'initial.group.0.v': T(new Float32Array(650), [650]) },
  fetches: { 'final.updated.group.0.params': T(new Float32Array(650), [650]), 'final.updated.group.0.m': T(new Float32Array(650), [650]), 'final.updated.group.0.v': T(new Float32Array(650), [650]), 'steps.loss': T(new Float32Array(K), [K]), 'steps.correct': T(new Float32Array(K), [K]) } });
const sets = { 1: mk(1), 8: mk(8), 56: mk(56) };
const res = { 1: [], 8: [], 56: [] };
for (let i = 0; i < 30; i++) for (const K of [1, 8, 56]) await s.run(sets[K].feeds, sets[K].fetches);
for (let i = 0; i < 500; i++) for (const K of [1, 8, 56]) { const t = performance.now(); await s.run(sets[K].feeds, sets[K].fetches); res[K].push(performance.now() - t); }
for (const K of [1, 8, 56]) { const a = res[K].sort((x, y) => x - y); console.log(`K=${K}: min ${(a[0] * 1000).toFixed(1)} median ${(a[250] * 1000).toFixed(1)} us/run`); }
