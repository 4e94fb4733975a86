import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { encodeModel, AttributeType, DataType } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const plan = planTraining(headSpec, opts, params);
const g = m.buildTrainGraph({ spec: headSpec, params, plan, optimizer: opts.optimizer, loss: opts.loss });
const sg = g.model.graph;
const K = +(process.argv[2] ?? 57);
const vi = (name, elem, dims) => ({ name, type: { tensorType: { elemType: elem, shape: { dim: dims.map(d => typeof d === 'string' ? { dimParam: d } : { dimValue: d }) } } } });
const i64 = (name, vals) => ({ name, dims: [vals.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(vals.map(BigInt)).buffer) });
const f32 = (name, v) => ({ name, dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(v).buffer) });
const ren = { 'group.0.params': 'c_params', 'group.0.m': 'c_m', 'group.0.v': 'c_v' };
const node = (opType, input, output, attribute = []) => ({ opType, input, output, attribute, name: output[0] + '_n' });
const body = {
  name: 'body',
  input: [vi('iter', DataType.INT64, []), vi('cond_in', DataType.BOOL, []), vi('c_params', 1, [650]), vi('c_m', 1, [650]), vi('c_v', 1, [650]), vi('c_step', 1, [])],
  initializer: [...sg.initializer, i64('k_s0', [0]), i64('k_e0', [640]), i64('k_e1', [650]), i64('k_shape', [64, 10]), f32('k_one', 1)],
  node: [
    node('Gather', ['X_all', 'iter'], ['x'], [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Gather', ['T_all', 'iter'], ['target'], [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Add', ['c_step', 'k_one'], ['optim.step']),
    node('Slice', ['c_params', 'k_s0', 'k_e0'], ['kflat']),
    node('Reshape', ['kflat', 'k_shape'], ['head.kernel']),
    node('Slice', ['c_params', 'k_e0', 'k_e1'], ['head.bias']),
    ...sg.node.map(n => ({ ...n, input: n.input.map(i => ren[i] ?? i) })),
    node('Identity', ['cond_in'], ['cond_out']),
    node('Identity', ['optim.step'], ['step_out']),
  ],
  output: [vi('cond_out', DataType.BOOL, []), vi('updated.group.0.params', 1, [650]), vi('updated.group.0.m', 1, [650]), vi('updated.group.0.v', 1, [650]), vi('step_out', 1, []), vi('loss', 1, []), vi('correct', 1, [])],
};
const outer = {
  name: 'multi',
  input: [vi('X_all', 1, ['K', 32, 64]), vi('T_all', 1, ['K', 32, 10]), vi('p0', 1, [650]), vi('m0', 1, [650]), vi('v0', 1, [650]), vi('step0', 1, []), vi('lr.0', 1, [])],
  initializer: [{ name: 'cond', dims: [], dataType: DataType.BOOL, int32Data: [1] }, i64('zero1', [0])],
  node: [
    node('Shape', ['X_all'], ['xs']),
    node('Gather', ['xs', 'zero1'], ['trip'], [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Squeeze', ['trip', 'zero1'], ['trip0']),
    { opType: 'Loop', input: ['trip0', 'cond', 'p0', 'm0', 'v0', 'step0'], output: ['p1', 'm1', 'v1', 'step1', 'losses', 'corrects'], name: 'loop', attribute: [{ name: 'body', type: AttributeType.GRAPH, g: body }] },
  ],
  output: [vi('p1', 1, [650]), vi('m1', 1, [650]), vi('v1', 1, [650]), vi('step1', 1, []), vi('losses', 1, ['K']), vi('corrects', 1, ['K'])],
};
const model = { ...g.model, graph: outer };
const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
const s = await ort.InferenceSession.create(encodeModel(model), so);
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const X = new Float32Array(K * 32 * 64).map((_, i) => Math.sin(i)); const Tt = new Float32Array(K * 320); for (let i = 0; i < K * 32; i++) Tt[i * 10 + (i % 10)] = 1;
const init = new Float32Array(650).map((_, i) => Math.cos(i) * 0.1);
const feeds = { X_all: T(X, [K, 32, 64]), T_all: T(Tt, [K, 32, 10]), p0: T(init.slice(), [650]), m0: T(new Float32Array(650), [650]), v0: T(new Float32Array(650), [650]), step0: T(new Float32Array([0]), []), 'lr.0': T(new Float32Array([0.01]), []) };
let out = await s.run(feeds);
// step-by-step reference with the step graph
const s1 = await ort.InferenceSession.create(encodeModel(g.model), so);
let p = init.slice(), mm = new Float32Array(650), vv = new Float32Array(650); const losses = [];
for (let k = 0; k < K; k++) {
  const r = await s1.run({ x: T(X.subarray(k * 2048, (k + 1) * 2048), [32, 64]), target: T(Tt.subarray(k * 320, (k + 1) * 320), [32, 10]), 'head.kernel': T(p.slice(0, 640), [64, 10]), 'head.bias': T(p.slice(640), [10]), 'optim.step': T(new Float32Array([k + 1]), []), 'group.0.params': T(p, [650]), 'group.0.m': T(mm, [650]), 'group.0.v': T(vv, [650]), 'lr.0': T(new Float32Array([0.01]), []) });
  p = r['updated.group.0.params'].data; mm = r['updated.group.0.m'].data; vv = r['updated.group.0.v'].data; losses.push(r.loss.data[0]);
}
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
console.log('bit-identical params', same(p, out.p1.data), 'm', same(mm, out.m1.data), 'v', same(vv, out.v1.data), 'losses', same(Float32Array.from(losses), out.losses.data));
const n = 200; for (let i = 0; i < 20; i++) await s.run(feeds);
let t = performance.now(); for (let i = 0; i < n; i++) await s.run(feeds);
const per = (performance.now() - t) / n;
console.log(`K=${K}: ms/run ${per.toFixed(3)}, us/step ${(per / K * 1000).toFixed(1)}`);
