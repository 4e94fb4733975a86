import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { buildMultiStepGraph } = await import('../../packages/backend-onnx/dist/multi-step-graph.js');
const { encodeModel, DataType } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(headSpec);
const g = m.buildTrainGraph({ spec: headSpec, params, plan: planTraining(headSpec, opts, params), optimizer: opts.optimizer, loss: opts.loss });
const multi = buildMultiStepGraph(g);
const scanNode = multi.model.graph.node.find(n => n.opType === 'Scan');
const body = scanNode.attribute.find(a => a.name === 'body').g;
const U = +(process.argv[2] ?? 8);
// Unrolled: copy body U times; body inputs: carried (3) then scan inputs: x, target, + hoisted scalars
const carriedIn = body.input.slice(0, 3).map(i => i.name), carriedOut = body.output.slice(0, 3).map(o => o.name);
const scanIn = body.input.slice(3).map(i => i.name);
const nodes = [], inputs = [], outputs = [], inits = [];
const vi = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map(d => ({ dimValue: d })) } } } });
for (const c of carriedIn) inputs.push(vi('init.' + c, [650]));
for (let u = 0; u < U; u++) {
  const map = new Map();
  carriedIn.forEach((c, i) => map.set(c, u === 0 ? 'init.' + c : `${carriedOut[i]}__${u - 1}`));
  for (const s of scanIn) { map.set(s, `${s}__${u}`); inputs.push(vi(`${s}__${u}`, s === 'x' ? [32, 64] : s === 'target' ? [32, 10] : [])); }
  for (const t of body.initializer) map.set(t.name, t.name);
  if (u === 0) inits.push(...body.initializer);
  for (const n of body.node) for (const o of n.output) map.set(o, `${o}__${u}`);
  for (const n of body.node) nodes.push({ ...n, name: `${n.name}__${u}`, input: n.input.map(i => map.get(i) ?? i), output: n.output.map(o => map.get(o)) });
  outputs.push(vi(`loss__${u}`, []), vi(`correct__${u}`, []));
}
carriedOut.forEach(c => outputs.push(vi(`${c}__${U - 1}`, [650])));
// invariant hoisted nodes (1/N) once; per-step hoisted scalars are fed directly
for (const n of multi.model.graph.node) if (n.opType !== 'Scan' && !n.output[0].startsWith('stacked.')) nodes.unshift({ ...n, input: n.input.map(i => i === 'stacked.target' ? 'target__0' : i), attribute: n.opType === 'Shape' ? [] : n.attribute });
inits.push(...multi.model.graph.initializer.filter(t => nodes.some(n => n.input.includes(t.name))));
const model = { ...multi.model, graph: { name: 'unrolled', node: nodes, initializer: inits, input: inputs, output: outputs } };
const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
const s = await ort.InferenceSession.create(encodeModel(model), so);
const T = (d, dims) => new ort.Tensor('float32', d, dims);
const feeds = {};
for (const c of carriedIn) feeds['init.' + c] = T(new Float32Array(650), [650]);
for (let u = 0; u < U; u++) for (const sname of scanIn) feeds[`${sname}__${u}`] = sname === 'x' ? T(new Float32Array(2048).map((_, i) => Math.sin(i + u)), [32, 64]) : sname === 'target' ? T(new Float32Array(320).map((_, i) => +(i % 10 === 0)), [32, 10]) : T(Float32Array.of(0.01), []);
const K = 56;
const sfeeds = { 'stacked.x': T(new Float32Array(K * 32 * 64).map((_, i) => Math.sin(i)), [K, 32, 64]), 'stacked.target': T(new Float32Array(K * 320).map((_, i) => +(i % 10 === 0)), [K, 32, 10]), 'stacked.optim.step': T(new Float32Array(K).map((_, i) => i + 1), [K]), 'stacked.lr.0': T(new Float32Array(K).fill(0.01), [K]),
  'initial.group.0.params': T(new Float32Array(650), [650]), 'initial.group.0.m': T(new Float32Array(650), [650]), 'initial.group.0.v': T(new Float32Array(650), [650]) };
const scan = await ort.InferenceSession.create(encodeModel(multi.model), so);
for (let round = 0; round < 4; round++) {
  for (let i = 0; i < 20; i++) await s.run(feeds);
  let n = 2000; let t = performance.now(); for (let i = 0; i < n; i++) await s.run(feeds);
  console.log(round, `unrolled ${U}:`, ((performance.now() - t) / n / U * 1000).toFixed(1), 'us/step');
  n = 200; t = performance.now(); for (let i = 0; i < n; i++) await scan.run(sfeeds);
  console.log(round, `scan 56:`, ((performance.now() - t) / n / K * 1000).toFixed(1), 'us/step');
}
