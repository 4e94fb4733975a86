// The `mlp` workload against this machine's Gemm peak (issue 17, item 2). The target is the throughput of training,
// i.e. steady state: two trainers (one stepped by `trainer.step`, one by `trainer.stepMany`) are warmed up until their
// step time has settled, then rounds alternate [1024³ Gemm peak at the MLP session's thread count and the step's 8
// Gemms alone (in a child process: gemm-peak-server.mjs says why), `seconds` of `step`, `seconds` of `stepMany`], so
// each ratio pairs figures taken seconds apart. A fresh trainer's first `seconds` in this fresh process (the figure this
// bench gave before 2026-12-07 11:00, mostly warm-up) is reported too.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createRng, initializeWeights, sizeOf, validateSpec } from '@headstart/core';
import { denseTrainingFlops } from './gemm-peak.mjs';
import { measure } from './train-throughput.mjs';
import { mlp } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';

const { threadsFor } = await import('../packages/backend-onnx/dist/runtime/threads.js');

/** Length of one timing block, s: the warm-up compares consecutive blocks, a round keeps its best block too. */
const BLOCK_SECONDS = 0.5;
/** Settled: two consecutive blocks within this fraction of each other, by wall and by CPU time per step. */
const SETTLE_TOLERANCE = 0.1;
/** Warm-up stops here whether or not the step time settled (the result says which). */
const SETTLE_MAX_SECONDS = 20;

/** The Gemm peaks in a child process (gemm-peak-server.mjs): `round()` times one round of them and resolves with it. */
async function gemmServer(workload, threads) {
  const child = fork(new URL('./gemm-peak-server.mjs', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(child, 'message');
  return {
    round: async () => {
      child.send({ spec: workload.spec, batch: workload.batch, threads });
      const [result] = await once(child, 'message');
      return result;
    },
    close: () => child.disconnect(),
  };
}

/** A trainer for `workload` as the `mlp` row makes it (Adam, lr 1e-3, seed 1), and 16 seeded random batches. */
async function mlpTrainer(backend, workload) {
  const spec = validateSpec(workload.spec);
  const model = await backend.createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainer = adamTrainer(model);
  const rng = createRng(7);
  const width = sizeOf(spec.inputShape);
  const batches = Array.from({ length: 16 }, () => ({
    x: Float32Array.from({ length: workload.batch * width }, () => rng.next()),
    labels: Int32Array.from({ length: workload.batch }, () => rng.int(10)),
    size: workload.batch,
  }));
  return {
    model,
    trainer,
    batches,
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/** Steppers: one `trainer.step` a call (the `mlp` row), or 16 batches by `stepMany` a call (core's fit, `headstart train`). */
function stepper(kind, { trainer, batches }) {
  if (kind === 'step') {
    let i = 0;
    return { stepsPerCall: 1, call: () => trainer.step(batches[i++ % batches.length]) };
  }
  const scales = batches.map(() => 1);
  return { stepsPerCall: batches.length, call: () => trainer.stepMany(batches, scales) };
}

/** Steps, wall s, CPU s (all threads) and minor page faults of calls to `stepper` for ≈ `seconds`. */
async function timeBlock({ call, stepsPerCall }, seconds) {
  const before = process.resourceUsage();
  const started = performance.now();
  let steps = 0;
  while (performance.now() - started < seconds * 1000) {
    await call();
    steps += stepsPerCall;
  }
  const wall = (performance.now() - started) / 1000;
  const after = process.resourceUsage();
  const cpu = (after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1e6;
  return { steps, wall, cpu, faults: after.minorPageFault - before.minorPageFault };
}

const perStep = (block) => ({ wall: block.wall / block.steps, cpu: block.cpu / block.steps });
const within = (a, b) => Math.abs(a - b) <= SETTLE_TOLERANCE * Math.min(a, b);

/**
 * Run `stepper` in blocks of BLOCK_SECONDS until two consecutive blocks agree within SETTLE_TOLERANCE by wall and by
 * CPU time per step, or SETTLE_MAX_SECONDS pass. Returns what the warm-up took and its first and last blocks.
 */
async function settle(stepper) {
  const blocks = [];
  let settled = false;
  while (!settled && blocks.length * BLOCK_SECONDS < SETTLE_MAX_SECONDS) {
    blocks.push(await timeBlock(stepper, BLOCK_SECONDS));
    const [a, b] = blocks.slice(-2).map(perStep);
    settled = blocks.length >= 2 && within(a.wall, b.wall) && within(a.cpu, b.cpu);
  }
  const summary = (block) => ({
    msPerStep: (1000 * block.wall) / block.steps,
    cpuMsPerStep: (1000 * block.cpu) / block.steps,
    faultsPerStep: block.faults / block.steps,
  });
  return {
    settled,
    steps: blocks.reduce((n, b) => n + b.steps, 0),
    seconds: blocks.reduce((s, b) => s + b.wall, 0),
    first: summary(blocks[0]),
    last: summary(blocks.at(-1)),
  };
}

/** `seconds` of `stepper` in BLOCK_SECONDS blocks: GFLOP/s over the whole round and in its best block, by wall and CPU. */
async function timeRound(stepper, seconds, flopsPerStep) {
  const blocks = [];
  for (let t = 0; t < seconds; t += BLOCK_SECONDS) blocks.push(await timeBlock(stepper, BLOCK_SECONDS));
  const sum = (key) => blocks.reduce((s, b) => s + b[key], 0);
  const [steps, wall, cpu] = [sum('steps'), sum('wall'), sum('cpu')];
  const gflops = (b) => (b.steps * flopsPerStep) / b.wall / 1e9;
  const cpuGflops = (b) => (b.steps * flopsPerStep) / b.cpu / 1e9;
  return {
    steps,
    gflops: (steps * flopsPerStep) / wall / 1e9,
    perCpuSecondGflops: (steps * flopsPerStep) / cpu / 1e9,
    bestBlockGflops: Math.max(...blocks.map(gflops)),
    bestBlockPerCpuSecondGflops: Math.max(...blocks.map(cpuGflops)),
    cpuUsPerStep: (1e6 * cpu) / steps,
    faultsPerStep: sum('faults') / steps,
  };
}

/**
 * The `mlp` workload against the 1024³ Gemm: first a fresh trainer's first `seconds` (after 20 untimed steps, as the
 * `mlp` row; in this fresh process: cold), then a `step` and a `stepMany` trainer warmed up until settled, then `rounds`
 * rounds of [Gemm peaks and the step's Gemms alone, `seconds` by step, `seconds` by stepMany]. A round's ratio divides
 * the MLP's GFLOP/s over the whole round by the Gemm's best 0.4 s (conservative); by CPU, per CPU-second against the
 * Gemm's best per CPU-second.
 */
export async function mlpVsPeak(backend, { rounds = 3, seconds = 3, workload = mlp } = {}) {
  const threads = threadsFor(validateSpec(workload.spec), workload.batch);
  const flops = denseTrainingFlops(workload.spec, workload.batch);
  const perSample = flops.total / workload.batch;
  const freshRun = await measure(backend, workload, { seconds });
  const fresh = {
    samplesPerSec: freshRun.samplesPerSec,
    gflops: (freshRun.samplesPerSec * perSample) / 1e9,
    perCpuSecondGflops: (freshRun.steps * flops.total) / freshRun.cpuSeconds / 1e9,
  };
  const trainers = { step: await mlpTrainer(backend, workload), stepMany: await mlpTrainer(backend, workload) };
  const steppers = { step: stepper('step', trainers.step), stepMany: stepper('stepMany', trainers.stepMany) };
  const warmup = { step: await settle(steppers.step), stepMany: await settle(steppers.stepMany) };
  const server = await gemmServer(workload, threads);
  const results = [];
  for (let r = 0; r < rounds; r++) {
    // The peak fetching Y's first row alone (Gemm throughput without onnxruntime-node's 4 MiB output copy) is the one
    // the ratios divide by; `whole` (Y fetched, as before 2026-12-07 11:00) is kept for comparison with older figures.
    const { whole, firstRow: peak, gemms } = await server.round();
    const step = await timeRound(steppers.step, seconds, flops.total);
    const many = await timeRound(steppers.stepMany, seconds, flops.total);
    const ratios = (m) => ({
      ratio: m.gflops / peak.gflops,
      ratioByCpu: m.perCpuSecondGflops / peak.perCpuSecondGflops,
      ratioToWholeOutput: m.gflops / whole.gflops,
      ratioToWholeOutputByCpu: m.perCpuSecondGflops / whole.perCpuSecondGflops,
    });
    results.push({
      peakGflops: peak.gflops,
      peakPerCpuSecondGflops: peak.perCpuSecondGflops,
      wholeOutputPeakGflops: whole.gflops,
      wholeOutputPeakPerCpuSecondGflops: whole.perCpuSecondGflops,
      gemmsAloneGflops: gemms.gflops,
      gemmsAlonePerCpuSecondGflops: gemms.perCpuSecondGflops,
      gemmsAloneCpuUsPerStep: (1e6 * flops.matmul) / (gemms.perCpuSecondGflops * 1e9),
      step: { ...step, samplesPerSec: (step.gflops * 1e9) / perSample, ...ratios(step) },
      stepMany: { ...many, samplesPerSec: (many.gflops * 1e9) / perSample, ...ratios(many) },
    });
  }
  server.close();
  trainers.step.dispose();
  trainers.stepMany.dispose();
  const best = (pick) => Math.max(...results.map(pick));
  const summary = (kind) => ({
    gflops: best((r) => r[kind].gflops),
    ratio: best((r) => r[kind].gflops) / best((r) => r.peakGflops),
    ratioByCpu: best((r) => r[kind].perCpuSecondGflops) / best((r) => r.peakPerCpuSecondGflops),
    roundsAt70: results.filter((r) => r[kind].ratio >= 0.7).length,
    roundsAt70ByCpu: results.filter((r) => r[kind].ratioByCpu >= 0.7).length,
    roundsAt70ToWholeOutput: results.filter((r) => r[kind].ratioToWholeOutput >= 0.7).length,
    roundsAt70ToWholeOutputByCpu: results.filter((r) => r[kind].ratioToWholeOutputByCpu >= 0.7).length,
  });
  return {
    workload: 'mlp-peak',
    backend: backend.name,
    batch: workload.batch,
    threads,
    flopsPerStep: flops,
    flopsPerSample: perSample,
    fresh: {
      ...fresh,
      ratio: fresh.gflops / best((r) => r.peakGflops),
      ratioByCpu: fresh.perCpuSecondGflops / best((r) => r.peakPerCpuSecondGflops),
    },
    warmup,
    rounds: results,
    peakGflops: best((r) => r.peakGflops),
    peakPerCpuSecondGflops: best((r) => r.peakPerCpuSecondGflops),
    step: summary('step'),
    stepMany: summary('stepMany'),
  };
}
