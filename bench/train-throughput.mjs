// Training throughput of one workload on one backend, in this process: samples/s over timed steps
// after warm-up steps (graph building, JIT), on a fixed pool of seeded random batches.
import { createRng, initializeWeights, parameterShapes, sizeOf, validateSpec } from '@headstart/core';
import { trainableCount } from './torchvision-specs.mjs';
import { adamTrainer } from './adam-trainer.mjs';

/** Seeded random inputs and labels for `batches` batches. */
/** `batches` batches of seeded random inputs and labels (10 classes) for `spec`. */
export function batchPool(spec, batch, batches) {
  const rng = createRng(7);
  const width = sizeOf(spec.inputShape);
  return Array.from({ length: batches }, () => ({
    x: Float32Array.from({ length: batch * width }, () => rng.next()),
    labels: Int32Array.from({ length: batch }, () => rng.int(10)),
    size: batch,
  }));
}

/** Measure `backend` on `workload` for about `seconds` of timed steps. */
export async function measure(backend, workload, { seconds = 3 } = {}) {
  const settings = { ...workload, ...workload.perBackend?.[backend.name] };
  const warmup = settings.warmup ?? 20;
  const minSeconds = Math.max(seconds, settings.minSeconds ?? 0);
  const minSteps = settings.minSteps ?? 2;
  const spec = validateSpec(workload.spec);
  const model = await backend.createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainer = adamTrainer(model);
  const pool = workload.batches ? workload.batches(workload.batch, 16) : batchPool(spec, workload.batch, 16);
  for (let i = 0; i < warmup; i++) await trainer.step(pool[i % pool.length]);
  let steps = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds || steps < minSteps) {
    await trainer.step(pool[steps % pool.length]);
    steps++;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  const cpu = process.cpuUsage(cpuBefore);
  trainer.dispose();
  model.dispose();
  return {
    samplesPerSec: (steps * workload.batch) / elapsed,
    steps,
    seconds: elapsed,
    // The process's CPU time over the timed steps (all its threads): on a loaded machine wall time is mostly waiting.
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    engine: model.engine,
    parameters: trainableCount(parameterShapes(spec)),
  };
}
