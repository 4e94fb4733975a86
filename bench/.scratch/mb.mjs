const n = 1797, width = +(process.argv[2] ?? 64);
const features = new Float32Array(n * width).map((_, i) => i);
const order = Uint32Array.from({ length: n }, (_, i) => (i * 7919) % n);
function a(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width);
  for (let i = 0; i < size; i++) { const row = order[start + i]; x.set(features.subarray(row * width, (row + 1) * width), i * width); } return x; }
function b(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width);
  for (let i = 0; i < size; i++) { const row = order[start + i] * width; const o = i * width; for (let j = 0; j < width; j++) x[o + j] = features[row + j]; } return x; }
function c(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width);
  if (width < 256) { for (let i = 0; i < size; i++) { const row = order[start + i] * width; const o = i * width; for (let j = 0; j < width; j++) x[o + j] = features[row + j]; } }
  else for (let i = 0; i < size; i++) { const row = order[start + i]; x.set(features.subarray(row * width, (row + 1) * width), i * width); } return x; }
for (const [name, f] of [['subarray', a], ['loop', b], ['a', a], ['b', b]]) {
  for (let e = 0; e < 50; e++) for (let s = 0; s < n; s += 32) f(s, 32);
  const t = performance.now(); const E = 200; for (let e = 0; e < E; e++) for (let s = 0; s < n; s += 32) f(s, 32);
  console.log(width, name, ((performance.now() - t) / E).toFixed(3), 'ms/epoch');
}
