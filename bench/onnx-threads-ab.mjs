#!/usr/bin/env node
// 1 against 2 intra-op threads (or any counts) on one workload in one process, blocks of steps alternated, so both
// share the machine's load:   node bench/onnx-threads-ab.mjs WORKLOAD ROUNDS [BATCH [THREADS...]]
// Each round runs a block of steps (≈ 0.25 s) on each trainer; prints per-step wall and CPU time (all threads of the
// process), min / median over the blocks, and the losses' sum as a check that both trained alike.
import { createRng, initializeWeights, validateSpec } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { WORKLOADS } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';

const [workload, rounds = '10', batchArg, ...threadArgs] = process.argv.slice(2);
const w = WORKLOADS[workload];
if (!w) {
  console.error(`usage: node bench/onnx-threads-ab.mjs ${Object.keys(WORKLOADS).join('|')} ROUNDS [BATCH [THREADS...]]`);
  process.exit(2);
}
if (process.env.HEADSTART_ONNX_THREADS) console.error('HEADSTART_ONNX_THREADS is set: it overrides the counts compared here');
const batch = Number(batchArg ?? w.batch);
const counts = threadArgs.length > 0 ? threadArgs.map(Number) : [1, 2];
const spec = validateSpec(w.spec);
const width = spec.inputShape.reduce((a, b) => a * b, 1);
const rng = createRng(7);
const pool = w.batches
  ? w.batches(batch, 4)
  : Array.from({ length: 4 }, () => ({
      x: Float32Array.from({ length: batch * width }, () => rng.next()),
      labels: Int32Array.from({ length: batch }, () => rng.int(10)),
      size: batch,
    }));

const runs = [];
for (const threads of counts) {
  const model = await createOnnxBackend({ threads }).createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainer = adamTrainer(model);
  for (let i = 0; i < (w.warmup ?? 20); i++) await trainer.step(pool[i % 4]);
  runs.push({ threads, trainer, wall: [], cpu: [], loss: 0, steps: 0 });
}
// Steps per block: about 0.25 s of the first trainer's median step (every trainer takes the same timing steps).
const timed = [];
for (const run of runs)
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run.trainer.step(pool[i % 4]);
    if (run === runs[0]) timed.push(performance.now() - t0);
  }
const perBlock = Math.max(1, Math.round(250 / Math.max(0.05, timed.sort((a, b) => a - b)[2])));

for (let r = 0; r < Number(rounds); r++) {
  for (const run of r % 2 === 0 ? runs : [...runs].reverse()) {
    const c0 = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < perBlock; i++) run.loss += (await run.trainer.step(pool[(run.steps + i) % 4])).loss;
    const c = process.cpuUsage(c0);
    run.wall.push((performance.now() - start) / perBlock);
    run.cpu.push((c.user + c.system) / 1000 / perBlock);
    run.steps += perBlock;
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const run of runs)
  console.log(
    JSON.stringify({
      workload,
      batch,
      threads: run.threads,
      steps: run.steps,
      wallMsMin: +Math.min(...run.wall).toFixed(3),
      wallMsMedian: +med(run.wall).toFixed(3),
      cpuMsMin: +Math.min(...run.cpu).toFixed(3),
      cpuMsMedian: +med(run.cpu).toFixed(3),
      samplesPerSecMedian: +((batch * 1000) / med(run.wall)).toFixed(1),
      lossSum: +run.loss.toFixed(4),
    }),
  );
