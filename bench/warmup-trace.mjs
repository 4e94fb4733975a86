// Diagnostic: a fresh `mlp` trainer's step time, CPU time (and system CPU time), minor page faults, V8 GCs, RSS and
// ArrayBuffer bytes per block of steps.
//   node bench/warmup-trace.mjs [BLOCKS=20] [STEPS_PER_BLOCK=50]
import { PerformanceObserver } from 'node:perf_hooks';
import { createRng, initializeWeights, validateSpec } from '@headstart/core';
import { mlp } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';
import { batchPool } from './train-throughput.mjs';
const blocks = Number(process.argv[2] ?? 20);
const blockSteps = Number(process.argv[3] ?? 50);
const { createOnnxBackend } = await import('@headstart/backend-onnx');
const spec = validateSpec(mlp.spec);
const pool = batchPool(spec, mlp.batch, 16);
let gcs = 0,
  gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs++;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const model = await createOnnxBackend().createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
const trainer = adamTrainer(model);
let s = 0;
for (let b = 0; b < blocks; b++) {
  const r0 = process.resourceUsage();
  const t0 = performance.now();
  const g0 = gcs,
    gm0 = gcMs;
  for (let i = 0; i < blockSteps; i++) await trainer.step(pool[s++ % 16]);
  const r1 = process.resourceUsage();
  const wall = performance.now() - t0;
  await new Promise((res) => setImmediate(res));
  const cpu = (r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 1000;
  console.log(
    `block ${b}: wall ${(wall / blockSteps).toFixed(3)} ms/step cpu ${(cpu / blockSteps).toFixed(3)} (sys ${((r1.systemCPUTime - r0.systemCPUTime) / 1000 / blockSteps).toFixed(3)}) faults/step ${((r1.minorPageFault - r0.minorPageFault) / blockSteps).toFixed(1)} gcs ${gcs - g0} (${(gcMs - gm0).toFixed(1)} ms) rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB ab ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(1)} MB`,
  );
}
