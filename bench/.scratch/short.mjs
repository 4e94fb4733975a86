import { createRng, makeBatch, batchOrder, defaultModelSpec } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';
const backend = createOnnxBackend(); await backend.probe();
const spec = defaultModelSpec([8, 8, 1], 10);
const headSpec = { inputShape: [64], layers: [spec.layers.at(-1)] };
const model = await backend.createModel(headSpec, undefined, { seed: 1 });
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const trainer = model.trainer(opts);
const n = 1797; const features = new Float32Array(n * 64); const r = createRng(5); for (let i = 0; i < features.length; i++) features[i] = Math.max(0, r.normal());
const train = { size: n, sampleShape: [64], features, labels: new Int32Array(n).map((_, i) => i % 10) };
const order = batchOrder(n, createRng(1));
const batches = Array.from({ length: 56 }, (_, i) => makeBatch(train, order, i * 32, 32, 'labels'));
const last = makeBatch(train, order, 56 * 32, 32, 'labels');
const ones = batches.map(() => 1);
const time = async (label, f, n = 200) => { for (let i = 0; i < 20; i++) await f(); const t = performance.now(); for (let i = 0; i < n; i++) await f(); console.log(label, ((performance.now() - t) / n * 1000).toFixed(1), 'us'); };
await time('single N=32', () => trainer.step(batches[0], 1));
await time('single N=5', () => trainer.step(last, 1));
await time('alternating 32/5 (per pair)', async () => { await trainer.step(batches[0], 1); await trainer.step(last, 1); });
await time('stepMany 56', () => trainer.stepMany(batches, ones), 50);
await time('stepMany 56 + short', async () => { await trainer.stepMany(batches, ones); await trainer.step(last, 1); }, 50);
await time('short after many (alone)', async () => { await trainer.step(last, 1); }, 50);
{
  let a = 0, b = 0; const n = 100;
  for (let i = 0; i < n; i++) { let t = performance.now(); await trainer.stepMany(batches, ones); a += performance.now() - t; t = performance.now(); await trainer.step(last, 1); b += performance.now() - t; }
  console.log('split: many', (a / n * 1000).toFixed(0), 'short', (b / n * 1000).toFixed(0));
  a = 0; b = 0;
  for (let i = 0; i < n; i++) { let t = performance.now(); await trainer.stepMany(batches, ones); a += performance.now() - t; t = performance.now(); await trainer.step(batches[0], 1); b += performance.now() - t; }
  console.log('split: many', (a / n * 1000).toFixed(0), 'full single', (b / n * 1000).toFixed(0));
  a = 0; b = 0;
  for (let i = 0; i < n; i++) { let t = performance.now(); await trainer.stepMany(batches, ones); a += performance.now() - t; t = performance.now(); await trainer.stepMany(batches.slice(0, 2), [1, 1]); b += performance.now() - t; }
  console.log('split: many', (a / n * 1000).toFixed(0), 'many(2)', (b / n * 1000).toFixed(0));
}
