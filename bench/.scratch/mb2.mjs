const n = 1797, width = +(process.argv[2] ?? 64);
const features = new Float32Array(n * width).map((_, i) => i);
const order = Uint32Array.from({ length: n }, (_, i) => (i * 7919) % n);
const fb = Buffer.from(features.buffer, features.byteOffset, features.byteLength);
function a(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width);
  for (let i = 0; i < size; i++) { const row = order[start + i]; x.set(features.subarray(row * width, (row + 1) * width), i * width); } return x; }
function c(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width); const xb = Buffer.from(x.buffer);
  const w4 = width * 4; for (let i = 0; i < size; i++) { const row = order[start + i]; fb.copy(xb, i * w4, row * w4, row * w4 + w4); } return x; }
function d(start, bs) { const size = Math.min(bs, n - start); const x = new Float32Array(size * width);
  for (let i = 0; i < size; i++) { const row = order[start + i] * width; x.set(new Float32Array(features.buffer, row * 4, width), i * width); } return x; }
for (const [name, f] of [['subarray', a], ['buffer.copy', c], ['new view', d], ['subarray', a], ['buffer.copy', c], ['new view', d]]) {
  for (let e = 0; e < 50; e++) for (let s = 0; s < n; s += 32) f(s, 32);
  const t = performance.now(); const E = 300; for (let e = 0; e < E; e++) for (let s = 0; s < n; s += 32) f(s, 32);
  console.log(width, name, ((performance.now() - t) / E).toFixed(3), 'ms/epoch');
}
