import { createRng, makeBatch, batchOrder, defaultModelSpec } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';
const backend = createOnnxBackend(); await backend.probe();
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const model = await backend.createModel(headSpec, undefined, { seed: 1 });
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const n = 1797; const features = new Float32Array(n * 64); const r = createRng(5); for (let i = 0; i < features.length; i++) features[i] = Math.max(0, r.normal());
const train = { size: n, sampleShape: [64], features, labels: new Int32Array(n).map((_, i) => i % 10) };
const order = batchOrder(n, createRng(1));
const batches = Array.from({ length: 56 }, (_, i) => makeBatch(train, order, i * 32, 32, 'labels'));
const trainer = model.trainer(opts);
const ones = batches.map(() => 1);
const epochIn = async (K) => { for (let s = 0; s < 56; s += K) await trainer.stepMany(batches.slice(s, s + K), ones.slice(s, s + K)); };
const res = { 8: [], 56: [], 14: [] };
for (let i = 0; i < 20; i++) for (const K of [8, 56, 14]) await epochIn(K);
for (let i = 0; i < 300; i++) for (const K of [8, 56, 14]) { const t = performance.now(); await epochIn(K); res[K].push(performance.now() - t); }
for (const K of [8, 14, 56]) { const a = res[K].sort((x, y) => x - y); console.log(`K=${K}: min ${a[0].toFixed(3)} p25 ${a[75].toFixed(3)} median ${a[150].toFixed(3)} ms/epoch`); }
