// Diagnostic: where a steady `mlp` step by `trainer.step` goes, in one process, variants alternated in 200-step blocks:
// the whole step; the gradient graph's session.run alone (same feeds and fetches, no trainer JS, no Adam kernel); the
// step's 8 Gemms alone in one graph; Adam's kernel alone; the step without the kernel. CPU µs a step (min / median
// over blocks), page faults a step, and each thread's CPU time at the end.
//   node bench/step-parts.mjs [BLOCKS] [after-peak|after-churn]
// after-peak: the 1024³ Gemm peak (gemmPeak, as mlp-peak.mjs did in its own process) runs before the blocks;
// after-churn: 100 fresh 4 MiB Float32Arrays are made and dropped before them (what the Gemm's outputs leave behind).
import { createRng, initializeWeights, validateSpec } from '@headstart/core';
import { mlp } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';
import { batchPool } from './train-throughput.mjs';
const { createOnnxBackend } = await import('@headstart/backend-onnx');
const blocks = Number(process.argv[2] ?? 20);
const spec = validateSpec(mlp.spec);
const pool = batchPool(spec, mlp.batch, 16);
const model = await createOnnxBackend().createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
const trainer = adamTrainer(model);
await trainer.step(pool[0]);
// The gradient graph's session (private to the trainer: a diagnostic may look), and one step's feeds and fetches.
const session = await trainer.gradientStep.session;
const run = session.run.bind(session);
let captured;
session.run = (feeds, fetches) => {
  captured = [feeds, fetches];
  return run(feeds, fetches);
};
// Adam's kernel update, and the arguments of one call of it.
const fused = trainer.fused;
const update = fused.update.bind(fused);
let updateArgs;
fused.update = (...args) => {
  updateArgs = args;
  return update(...args);
};
await trainer.step(pool[1]);
session.run = run;
fused.update = update;
const { denseGemmsRunner } = await import('./gemm-peak.mjs');
const gemms = await denseGemmsRunner(mlp.spec, mlp.batch, 1);
let s = 2;
const variants = {
  step: () => trainer.step(pool[s++ % 16]),
  'session.run alone': () => run(captured[0], captured[1]),
  "the step's 8 Gemms alone": () => gemms(),
  "Adam's kernel alone": async () => update(...updateArgs),
  'step without the kernel (wrong results: timing only)': async () => {
    fused.update = () => undefined;
    await trainer.step(pool[s++ % 16]);
    fused.update = update;
  },
};
for (let i = 0; i < 300; i++) await trainer.step(pool[s++ % 16]);
if (process.argv[3] === 'after-peak') {
  const { gemmPeak, GEMM_SHAPES } = await import('./gemm-peak.mjs');
  console.log('1024³ Gemm first:', await gemmPeak(GEMM_SHAPES[0], 1));
}
if (process.argv[3] === 'after-churn') {
  // What the 1024³ Gemm's runs leave behind without the Gemm: fresh 4 MiB buffers, dropped.
  let keep;
  for (let i = 0; i < 100; i++) {
    keep = new Float32Array(1 << 20);
    keep[i] = 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const faults = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]));
for (let b = 0; b < blocks; b++)
  for (const [name, call] of Object.entries(variants)) {
    const r0 = process.resourceUsage();
    for (let i = 0; i < 200; i++) await call();
    const r1 = process.resourceUsage();
    cpu[name].push((r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 200);
    faults[name] += (r1.minorPageFault - r0.minorPageFault) / 200 / blocks;
  }
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const name of Object.keys(variants))
  console.log(
    `${name}: CPU µs a step min ${Math.min(...cpu[name]).toFixed(0)} median ${median(cpu[name]).toFixed(0)}, ${faults[name].toFixed(1)} page faults a step`,
  );
const { readdirSync, readFileSync } = await import('node:fs');
for (const t of readdirSync('/proc/self/task')) {
  const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  console.log(`thread ${t} ${comm}: ${((Number(fields[11]) + Number(fields[12])) / 100).toFixed(2)} CPU s`);
}
