// A/B in one process: frozen-base speed with the new step path vs the old one.
// onnx: old = the trainer without stepMany (single steps, as before). tfjs: old = a build of HEAD's losses.ts/trainer.ts.
import { frozenBaseSpeed } from '../frozen-base.mjs';
const which = process.argv[2];
const rounds = +(process.argv[3] ?? 2);
const epochs = +(process.env.E ?? 12);
let make;
if (which === 'onnx') {
  const { createOnnxBackend } = await import('@headstart/backend-onnx');
  make = (old) => {
    const b = createOnnxBackend();
    if (!old) return b;
    const orig = b.createModel.bind(b);
    b.createModel = async (...a) => { const m = await orig(...a); const t0 = m.trainer.bind(m); m.trainer = (o) => { const t = t0(o); return { step: t.step.bind(t), evaluate: t.evaluate.bind(t), getState: t.getState.bind(t), setState: t.setState.bind(t), dispose: t.dispose.bind(t) }; }; return m; };
    return b;
  };
} else {
  const neu = await import('@headstart/backend-tfjs');
  const old = await import('./tfjs-old/dist/index.js');
  make = (isOld) => (isOld ? old.createTfjsBackend() : neu.createTfjsBackend());
}
for (let r = 0; r < rounds; r++) for (const old of [true, false]) {
  const b = make(old); await b.probe();
  const res = await frozenBaseSpeed(b, { epochs });
  console.log(JSON.stringify({ variant: old ? 'before' : 'after', engine: res.engine, throughMs: +(res.throughBaseSecPerEpoch * 1000).toFixed(2), cachedMs: +(res.cachedSecPerEpoch * 1000).toFixed(3), speedup: +res.speedupPerEpoch.toFixed(2) }));
}
