import ort from 'onnxruntime-node';
import { readFileSync, readdirSync } from 'node:fs';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { encodeModel } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const plan = planTraining(headSpec, opts, params);
const g = m.buildTrainGraph({ spec: headSpec, params, plan, optimizer: opts.optimizer, loss: opts.loss });
process.chdir('/tmp/ortprof');
const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: 'p' };
const s = await ort.InferenceSession.create(encodeModel(g.model), so);
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const feeds = { x: T(new Float32Array(32 * 64).fill(0.5), [32, 64]), target: T(new Float32Array(320).fill(0.1), [32, 10]), 'head.bias': T(new Float32Array(10), [10]), 'head.kernel': T(new Float32Array(640), [64, 10]),
  'optim.step': T(new Float32Array([1]), []), 'group.0.params': T(new Float32Array(650), [650]), 'group.0.m': T(new Float32Array(650), [650]), 'group.0.v': T(new Float32Array(650), [650]), 'lr.0': T(new Float32Array([0.01]), []) };
for (let i = 0; i < 2000; i++) await s.run(feeds);
s.endProfiling();
const f = readdirSync('.').find(n => n.startsWith('p'));
const ev = JSON.parse(readFileSync(f));
const runs = ev.filter(e => e.name === 'model_run').slice(500);
const avgRun = runs.reduce((a, e) => a + e.dur, 0) / runs.length;
const kern = ev.filter(e => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
const perRun = kern.reduce((a, e) => a + e.dur, 0) / 2000;
console.log('model_run avg us', avgRun.toFixed(1), 'kernel sum per run us', perRun.toFixed(1), 'kernels/run', kern.length / 2000);
const byOp = new Map(); for (const e of kern) { const k = e.args.op_name; byOp.set(k, (byOp.get(k) ?? 0) + e.dur / 2000); }
console.log([...byOp].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v.toFixed(1)}`).join(' '));
console.log([...new Set(ev.map(e => e.name.replace(/_\d+.*/, '')))].slice(0, 30).join(' '));
