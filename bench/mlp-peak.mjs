// The `mlp` workload against this machine's Gemm peak (issue 17, item 2), in one process: rounds of [Gemm peak at the
// MLP session's thread count, then the MLP's training throughput], so each ratio pairs figures taken seconds apart.
import { createRng, initializeWeights, validateSpec } from '@headstart/core';
import { denseTrainingFlops, gemmPeak, GEMM_SHAPES } from './gemm-peak.mjs';
import { measure } from './train-throughput.mjs';
import { mlp } from './workloads.mjs';

const { threadsFor } = await import('../packages/backend-onnx/dist/runtime/threads.js');

/**
 * Samples/s of `workload` trained by `trainer.stepMany` on `perCall` batches a call — how core's fit (`headstart train`)
 * steps a phase of ≥ 256 steps: one session run of the multi-step (Scan) graph per call, bit-identical to single steps.
 */
async function measureStepMany(backend, workload, { seconds, perCall = 16 }) {
  const spec = validateSpec(workload.spec);
  const model = await backend.createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainable = model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  const trainer = model.trainer({
    trainable,
    groups: [{ name: 'all', params: trainable, lr: 1e-3 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    seed: 1,
  });
  const rng = createRng(7);
  const width = spec.inputShape.reduce((a, b) => a * b, 1);
  const batches = Array.from({ length: perCall }, () => ({
    x: Float32Array.from({ length: workload.batch * width }, () => rng.next()),
    labels: Int32Array.from({ length: workload.batch }, () => rng.int(10)),
    size: workload.batch,
  }));
  const scales = batches.map(() => 1);
  for (let i = 0; i < 2; i++) await trainer.stepMany(batches, scales);
  let steps = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await trainer.stepMany(batches, scales);
    steps += perCall;
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  trainer.dispose();
  model.dispose();
  return { samplesPerSec: (steps * workload.batch) / elapsed, steps, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * `rounds` rounds of: the 1024³ Gemm's best GFLOP/s (and by CPU time), then `seconds` of `mlp` training by
 * `trainer.step` (the bench's `mlp` row, one session run a step), then `seconds` by `stepMany` (as `headstart train`). The MLP's
 * GFLOP/s is its samples/s × its FLOPs per sample (denseTrainingFlops: forward, backward and Adam). Returns every round
 * and the best of each side; ratio = best MLP / best Gemm, and the same by CPU time.
 */
export async function mlpVsPeak(backend, { rounds = 3, seconds = 3, workload = mlp } = {}) {
  const threads = threadsFor(validateSpec(workload.spec), workload.batch);
  const flops = denseTrainingFlops(workload.spec, workload.batch);
  const perSample = flops.total / workload.batch;
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const peak = await gemmPeak(GEMM_SHAPES[0], threads);
    const run = await measure(backend, workload, { seconds });
    const many = await measureStepMany(backend, workload, { seconds });
    results.push({
      peakGflops: peak.gflops,
      peakPerCpuSecondGflops: peak.perCpuSecondGflops,
      samplesPerSec: run.samplesPerSec,
      mlpGflops: (run.samplesPerSec * perSample) / 1e9,
      mlpPerCpuSecondGflops: (run.steps * flops.total) / run.cpuSeconds / 1e9,
      stepManySamplesPerSec: many.samplesPerSec,
      stepManyGflops: (many.samplesPerSec * perSample) / 1e9,
      stepManyPerCpuSecondGflops: (many.steps * flops.total) / many.cpuSeconds / 1e9,
    });
  }
  const best = (key) => Math.max(...results.map((r) => r[key]));
  return {
    workload: 'mlp-peak',
    backend: backend.name,
    batch: workload.batch,
    threads,
    flopsPerStep: flops,
    flopsPerSample: perSample,
    rounds: results,
    peakGflops: best('peakGflops'),
    mlpGflops: best('mlpGflops'),
    ratio: best('mlpGflops') / best('peakGflops'),
    ratioByCpu: best('mlpPerCpuSecondGflops') / best('peakPerCpuSecondGflops'),
    stepManyGflops: best('stepManyGflops'),
    stepManyRatio: best('stepManyGflops') / best('peakGflops'),
    stepManyRatioByCpu: best('stepManyPerCpuSecondGflops') / best('peakPerCpuSecondGflops'),
  };
}
