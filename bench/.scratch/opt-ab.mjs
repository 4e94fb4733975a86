import * as tf from '@tensorflow/tfjs';
const neu = await import('../../packages/backend-tfjs/dist/optimizers.js');
const old = await import('./tfjs-old/dist/optimizers.js');
await tf.setBackend(process.argv[2] ?? 'cpu');
let seed = 1; const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
const shapes = [[3, 4], [4], [2, 2, 3], [5]];
const configs = [{ type: 'adam' }, { type: 'adamw', beta1: 0.8 }, { type: 'sgd', momentum: 0.9, nesterov: true }, { type: 'sgd' }];
let allSame = true;
for (const config of configs) {
  const mk = (lib, tag) => { seed = 7; const vars = shapes.map((s, i) => tf.variable(tf.tensor(Array.from({ length: s.reduce((a, b) => a * b) }, rnd), s), true, `${tag}v${i}_${config.type}${config.momentum ?? ''}${config.beta1 ?? ''}`));
    const params = vars.map((v, i) => ({ name: `p${i}`, variable: v, lr: i < 2 ? 0.01 : 0.05, weightDecay: i === 1 ? 0 : 0.02 * (i % 2 + 1) }));
    return { vars, opt: lib.createOptimizer(config, params) }; };
  const A = mk(neu, 'n'), B = mk(old, 'o');
  for (let step = 0; step < 20; step++) {
    seed = 100 + step;
    const gs = shapes.map((s) => Array.from({ length: s.reduce((a, b) => a * b) }, rnd));
    for (const [X, lib] of [[A, 'n'], [B, 'o']]) tf.tidy(() => { const grads = {}; X.vars.forEach((v, i) => (grads[v.name] = tf.tensor(gs[i], shapes[i]))); X.opt.apply(grads, 1 - step / 40); });
  }
  const same = A.vars.every((v, i) => { const a = v.dataSync(), b = B.vars[i].dataSync(); return a.every((x, k) => Object.is(x, b[k])); });
  const sa = A.opt.getState(), sb = B.opt.getState();
  const sameState = [...sb].every(([k, t]) => sa.get(k).data.every((x, i) => Object.is(x, t.data[i]))) && sa.size === sb.size && [...sa.keys()].join() === [...sb.keys()].join();
  console.log(config, 'weights bit-identical:', same, 'state identical (same names, order):', sameState);
  allSame &&= same && sameState;
  // Missing gradient: p2 gets none; it and its slots must stay untouched.
  const before = A.vars[2].dataSync().slice(); const stBefore = A.opt.getState();
  tf.tidy(() => { const grads = {}; A.vars.forEach((v, i) => i !== 2 && (grads[v.name] = tf.ones(shapes[i]))); A.opt.apply(grads, 1); });
  const st = A.opt.getState();
  const untouched = A.vars[2].dataSync().every((x, k) => Object.is(x, before[k])) && [...st].filter(([k]) => k.endsWith('.p2')).every(([k, t]) => t.data.every((x, i) => Object.is(x, stBefore.get(k).data[i])));
  const moved = [...st].filter(([k]) => k.endsWith('.p3')).every(([k, t]) => !t.data.every((x, i) => Object.is(x, stBefore.get(k).data[i])));
  console.log('  missing gradient leaves p2 and its slots untouched:', untouched, '; p3 slots moved:', moved || config.type === 'sgd' && !config.momentum);
}
console.log('ALL IDENTICAL', allSame, 'tensors alive', tf.memory().numTensors);
