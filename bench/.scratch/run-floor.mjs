import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { encodeModel } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const plan = planTraining(headSpec, opts, params);
const g = m.buildTrainGraph({ spec: headSpec, params, plan, optimizer: opts.optimizer, loss: opts.loss });
const so = { graphOptimizationLevel: process.env.LEVEL ?? 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
const s = await ort.InferenceSession.create(encodeModel(g.model), so);
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const feeds = { x: T(new Float32Array(32 * 64).fill(0.5), [32, 64]), target: T(new Float32Array(320).fill(0.1), [32, 10]), 'head.bias': T(new Float32Array(10), [10]), 'head.kernel': T(new Float32Array(640), [64, 10]),
  'optim.step': T(new Float32Array([1]), []), 'group.0.params': T(new Float32Array(650), [650]), 'group.0.m': T(new Float32Array(650), [650]), 'group.0.v': T(new Float32Array(650), [650]), 'lr.0': T(new Float32Array([0.01]), []) };
const fetches = { 'updated.group.0.params': T(new Float32Array(650), [650]), 'updated.group.0.m': T(new Float32Array(650), [650]), 'updated.group.0.v': T(new Float32Array(650), [650]), loss: T(new Float32Array(1), []), correct: T(new Float32Array(1), []) };
const handler = s.handler;
const time = async (label, fn, n = 3000) => { for (let i = 0; i < 300; i++) await fn(); const t = performance.now(); for (let i = 0; i < n; i++) await fn(); console.log(label, ((performance.now() - t) / n * 1000).toFixed(1), 'us'); };
await time('session.run (async, prealloc fetches)', () => s.run(feeds, fetches));
await time('session.run no fetches', () => s.run(feeds));
// Identity floor
const idModel = (await import('../../packages/backend-onnx/dist/graph-builder.js'));
const b = new idModel.GraphBuilder('id'); const xi = b.input('x', [1]); b.output(b.op('Identity', [xi], {}, [1], 'y'), 'y');
const sid = await ort.InferenceSession.create(encodeModel(b.toModel('0')), so);
const fx = { x: T(new Float32Array(1), [1]) };
await time('identity run', () => sid.run(fx));
await time('setImmediate hop', () => new Promise(r => setImmediate(r)));
