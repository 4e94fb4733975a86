import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { buildMultiStepGraph } = await import('../../packages/backend-onnx/dist/multi-step-graph.js');
const { encodeModel } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const plan = planTraining(headSpec, opts, params);
const g = m.buildTrainGraph({ spec: headSpec, params, plan, optimizer: opts.optimizer, loss: opts.loss });
const multi = buildMultiStepGraph(g);
const body = multi.model.graph.node.find(n => n.opType === 'Scan').attribute.find(a => a.name === 'body').g;
console.log('body nodes', body.node.length, body.node.map(n => n.opType).join(' '));
const K = 56;
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const feeds = { 'stacked.x': T(new Float32Array(K * 32 * 64).map((_, i) => Math.sin(i)), [K, 32, 64]), 'stacked.target': T(new Float32Array(K * 320).map((_, i) => +(i % 10 === 0)), [K, 32, 10]), 'stacked.optim.step': T(new Float32Array(K).map((_, i) => i + 1), [K]), 'stacked.lr.0': T(new Float32Array(K).fill(0.01), [K]),
  'initial.group.0.params': T(new Float32Array(650), [650]), 'initial.group.0.m': T(new Float32Array(650), [650]), 'initial.group.0.v': T(new Float32Array(650), [650]) };
const base = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
const variants = {
  base,
  noMemPattern: { ...base, enableMemPattern: false },
  noArena: { ...base, enableCpuMemArena: false },
  basicOpt: { ...base, graphOptimizationLevel: 'basic' },
  extended: { ...base, graphOptimizationLevel: 'extended' },
  noSpin: { ...base, extra: { session: { 'intra_op.allow_spinning': '0' } } },
};
const sessions = {};
for (const [k, o] of Object.entries(variants)) sessions[k] = await ort.InferenceSession.create(encodeModel(multi.model), o);
for (let round = 0; round < 3; round++) for (const [k, s] of Object.entries(sessions)) {
  for (let i = 0; i < 20; i++) await s.run(feeds);
  const n = 200; const t = performance.now(); for (let i = 0; i < n; i++) await s.run(feeds);
  const per = (performance.now() - t) / n;
  console.log(round, k.padEnd(14), `ms/run ${per.toFixed(3)}, us/step ${(per / K * 1000).toFixed(1)}`);
}
