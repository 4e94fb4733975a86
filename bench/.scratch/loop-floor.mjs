import ort from 'onnxruntime-node';
const { encodeModel, AttributeType, DataType } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
const vi = (name, elem, dims) => ({ name, type: { tensorType: { elemType: elem, shape: { dim: dims.map(d => typeof d === 'string' ? { dimParam: d } : { dimValue: d }) } } } });
const i64 = (name, vals) => ({ name, dims: [vals.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(vals.map(BigInt)).buffer) });
const node = (opType, input, output, attribute = []) => ({ opType, input, output, attribute, name: output[0] + '_n' });
const extra = +(process.argv[2] ?? 0);
const chain = []; let last = 'c_p';
for (let i = 0; i < extra; i++) { chain.push(node('Mul', [last, 'c_p'], ['t' + i])); last = 't' + i; }
const body = { name: 'body', input: [vi('iter', DataType.INT64, []), vi('cond_in', DataType.BOOL, []), vi('c_p', 1, [650])],
  node: [...chain, node('Identity', ['cond_in'], ['cond_out']), node('Identity', [last], ['p_out'])],
  output: [vi('cond_out', DataType.BOOL, []), vi('p_out', 1, [650])] };
const outer = { name: 'm', input: [vi('p0', 1, [650])], initializer: [{ name: 'cond', dims: [], dataType: DataType.BOOL, int32Data: [1] }, { name: 'trip', dims: [], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.of(57n).buffer) }],
  node: [{ opType: 'Loop', input: ['trip', 'cond', 'p0'], output: ['p1'], name: 'loop', attribute: [{ name: 'body', type: AttributeType.GRAPH, g: body }] }], output: [vi('p1', 1, [650])] };
const model = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: outer };
const s = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1 });
const feeds = { p0: new ort.Tensor('float32', new Float32Array(650), [650]) };
for (let i = 0; i < 50; i++) await s.run(feeds);
const n = 500; let t = performance.now(); for (let i = 0; i < n; i++) await s.run(feeds);
const per = (performance.now() - t) / n;
console.log(`extra ${extra} nodes: ms/run ${per.toFixed(3)}, us/iter ${(per / 57 * 1000).toFixed(2)}`);
