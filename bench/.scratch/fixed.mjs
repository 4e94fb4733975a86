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
for (let round = 0; round < 2; round++) for (const K of [1, 2, 4, 7, 14, 28, 56]) {
  const trainer = model.trainer(opts);
  const bs = batches.slice(0, K), ls = bs.map(() => 1);
  const f = K === 1 ? () => trainer.step(bs[0], 1) : () => trainer.stepMany(bs, ls);
  for (let i = 0; i < 30; i++) await f();
  const N = Math.ceil(4000 / K); const t = performance.now(); for (let i = 0; i < N; i++) await f();
  const per = (performance.now() - t) / N * 1000;
  console.log(`K=${K}: ${per.toFixed(0)} us/call, ${(per / K).toFixed(1)} us/step, epoch of 56 in chunks of K: ${(per * 56 / K / 1000).toFixed(2)} ms`);
  trainer.dispose();
}
