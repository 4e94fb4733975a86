#!/usr/bin/env node
// Two (or more) builds of backend-onnx on one workload in one process, steps alternated, so both share the machine's load:
//   node bench/onnx-ab.mjs WORKLOAD ROUNDS DIST_A DIST_B ...
// DIST_* are build directories inside packages/backend-onnx (e.g. `dist`, and an older commit built with
// `npx tsc -p tsconfig.build.json --outDir dist-old`). Per-step CPU time (1 intra-op thread unless HEADSTART_ONNX_THREADS
// says otherwise: the step then runs on this thread) and wall time, min and median per build, and the losses.
import { createRng, initializeWeights, validateSpec } from '@headstart/core';
import { WORKLOADS } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';
process.env.HEADSTART_ONNX_THREADS ??= '1';
const [workload, rounds, ...dists] = process.argv.slice(2);
const w = WORKLOADS[workload];
const spec = validateSpec(w.spec);
const rng = createRng(7);
const width = spec.inputShape.reduce((a, b) => a * b, 1);
const pool = Array.from({ length: 4 }, () => ({
  x: Float32Array.from({ length: w.batch * width }, () => rng.next()),
  labels: Int32Array.from({ length: w.batch }, () => rng.int(10)),
  size: w.batch,
}));
const runs = [];
for (const dist of dists) {
  const { createOnnxBackend } = await import(`../packages/backend-onnx/${dist}/base.js`);
  const model = await createOnnxBackend().createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainer = adamTrainer(model);
  for (let i = 0; i < 3; i++) await trainer.step(pool[i % 4], 1);
  runs.push({ dist, trainer, cpu: [], wall: [], losses: [] });
}
for (let r = 0; r < Number(rounds); r++) {
  for (const run of runs) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await run.trainer.step(pool[r % 4], 1);
    const c = process.cpuUsage(c0);
    run.cpu.push((c.user + c.system) / 1000);
    run.wall.push(performance.now() - t0);
    run.losses.push(res.loss);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const run of runs)
  console.log(
    JSON.stringify({
      workload,
      dist: run.dist,
      steps: run.cpu.length,
      cpuMsMin: +Math.min(...run.cpu).toFixed(1),
      cpuMsMedian: +med(run.cpu).toFixed(1),
      wallMsMin: +Math.min(...run.wall).toFixed(1),
      samplesPerCpuSBest: +((w.batch * 1000) / Math.min(...run.cpu)).toFixed(1),
      samplesPerCpuSMedian: +((w.batch * 1000) / med(run.cpu)).toFixed(1),
      losses: run.losses.map((l) => +l.toFixed(4)).join(' '),
    }),
  );
