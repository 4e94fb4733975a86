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
const full = buildMultiStepGraph(g);
// variant: no correct count (ArgMax..ReduceSum) and no 'correct' output
const pruned = structuredClone(full);
const scan = pruned.model.graph.node.find(n => n.opType === 'Scan');
const body = scan.attribute.find(a => a.name === 'body').g;
body.node = body.node.filter(n => !n.output.some(o => /^(argmax|hit|correct)/.test(o)));
body.output = body.output.filter(o => o.name !== 'correct');
scan.output = scan.output.filter(o => o !== 'steps.correct');
pruned.model.graph.output = pruned.model.graph.output.filter(o => o.name !== 'steps.correct');
console.log('full body', full.model.graph.node.find(n => n.opType === 'Scan').attribute[0].g.node.length, 'pruned', body.node.length, body.node.map(n => n.opType).join(' '));
const K = 56;
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const feeds = { 'stacked.x': T(new Float32Array(K * 32 * 64).map((_, i) => Math.sin(i)), [K, 32, 64]), 'stacked.target': T(new Float32Array(K * 320).map((_, i) => +(i % 10 === 0)), [K, 32, 10]), 'stacked.optim.step': T(new Float32Array(K).map((_, i) => i + 1), [K]), 'stacked.lr.0': T(new Float32Array(K).fill(0.01), [K]),
  'initial.group.0.params': T(new Float32Array(650), [650]), 'initial.group.0.m': T(new Float32Array(650), [650]), 'initial.group.0.v': T(new Float32Array(650), [650]) };
const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
const s = { full: await ort.InferenceSession.create(encodeModel(full.model), so), pruned: await ort.InferenceSession.create(encodeModel(pruned.model), so) };
for (let round = 0; round < 4; round++) for (const [k, ses] of Object.entries(s)) {
  for (let i = 0; i < 20; i++) await ses.run(feeds);
  const n = 200; const t = performance.now(); for (let i = 0; i < n; i++) await ses.run(feeds);
  console.log(round, k, ((performance.now() - t) / n / K * 1000).toFixed(1), 'us/step');
}
