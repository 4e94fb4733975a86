#!/usr/bin/env node
// Where an onnx training step's time goes, per ONNX op type, from onnxruntime's own profiler.
//   node bench/onnx-profile.mjs --workload resnet18|mobilenet_v2|cnn|mlp|transformer [--threads T] [--nodes N] [--steps S]
// Runs the workload as bench/run.mjs does (train-throughput.mjs), with every session the backend creates
// profiled (InferenceSession.create wrapped here: the backend is unchanged), then sums the profile's kernel
// times by op type. --threads sets HEADSTART_ONNX_THREADS; --steps profiles at least S steps (default 2; a small
// model's first steps are mostly first-touch, so profile a few hundred of them). Prints a table and one JSON line.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { WORKLOADS } from './workloads.mjs';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'resnet18' },
    threads: { type: 'string' },
    nodes: { type: 'string', default: '15' },
    steps: { type: 'string', default: '2' },
  },
});
if (values.threads) process.env.HEADSTART_ONNX_THREADS = values.threads;
const workload = WORKLOADS[values.workload];
if (!workload) {
  console.error(`--workload: one of ${Object.keys(WORKLOADS).join(', ')}`);
  process.exit(2);
}

const ortModule = await import('onnxruntime-node');
const ort = ortModule.default ?? ortModule;
const sessions = [];
const create = ort.InferenceSession.create.bind(ort.InferenceSession);
ort.InferenceSession.create = async (model, options = {}) => {
  const prefix = join(os.tmpdir(), `headstart-profile-${process.pid}-${sessions.length}`);
  const session = await create(model, { ...options, enableProfiling: true, profileFilePrefix: prefix });
  sessions.push(prefix);
  // The trainer releases its sessions when disposed: the profile is written first.
  const release = session.release.bind(session);
  session.release = async () => {
    session.endProfiling();
    return release();
  };
  return session;
};

const { createOnnxBackend } = await import('@headstart/backend-onnx');
const { measure } = await import('./train-throughput.mjs');
// Warm-up steps are profiled too; only the sums' shares matter, and the first run (allocation) is dropped below.
const result = await measure(
  createOnnxBackend(),
  { ...workload, warmup: 1, minSeconds: 0, minSteps: Number(values.steps) },
  { seconds: 0 },
);

const byOp = new Map();
const byNode = new Map();
let runs = 0;
const files = readdirSync(os.tmpdir())
  .filter((name) => sessions.some((prefix) => name.startsWith(basename(prefix)) && name.endsWith('.json')))
  .map((name) => join(os.tmpdir(), name));
for (const file of files) {
  const events = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file, { force: true });
  const sessionRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  runs += Math.max(0, sessionRuns.length - 1);
  const firstRunEnd = sessionRuns.length > 1 ? sessionRuns[0].ts + sessionRuns[0].dur : -1;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < firstRunEnd) continue;
    const op = e.args?.op_name ?? '?';
    const node = e.name.replace(/_kernel_time$/, '');
    const at = byNode.get(node) ?? { node, op, micros: 0, calls: 0, output: JSON.stringify(e.args?.output_type_shape ?? []) };
    at.micros += e.dur;
    at.calls += 1;
    byNode.set(node, at);
    const entry = byOp.get(op) ?? { op, micros: 0, calls: 0 };
    entry.micros += e.dur;
    entry.calls += 1;
    byOp.set(op, entry);
  }
}
const total = [...byOp.values()].reduce((sum, e) => sum + e.micros, 0);
const rows = [...byOp.values()].sort((a, b) => b.micros - a.micros);
console.log(
  `${values.workload} on onnx, ${result.steps} steps after 1 warm-up (${runs} profiled runs); kernel time ${(total / 1e6).toFixed(2)} s, wall ${result.seconds.toFixed(2)} s, CPU ${result.cpuSeconds.toFixed(2)} s`,
);
console.log('\n| op type | kernel ms per step | share | calls per step |\n| --- | ---: | ---: | ---: |');
for (const r of rows.slice(0, 15)) {
  const steps = Math.max(1, runs);
  console.log(
    `| ${r.op} | ${(r.micros / 1000 / steps).toFixed(1)} | ${((100 * r.micros) / total).toFixed(1)} % | ${(r.calls / steps).toFixed(0)} |`,
  );
}
// Work sized by the parameters rather than the batch: ops on the flat vector of all trainable parameters (gradient
// concat, the optimizer's update) and the kernels' layout transposes (4-D outputs, no batch axis).
const flat = [...byNode.values()].filter((r) => r.output === JSON.stringify([{ float: [result.parameters] }]));
const kernelTransposes = [...byNode.values()].filter((r) => r.op === 'Transpose' && !r.output.includes(`[${workload.batch},`));
const share = (rows) => `${((100 * rows.reduce((sum, r) => sum + r.micros, 0)) / total).toFixed(1)} %`;
console.log(
  `\nnodes on the flat ${result.parameters.toLocaleString('en')}-parameter vector (gradient concat, optimizer): ${flat.length}, ${share(flat)} of kernel time; ` +
    `transposes not led by the batch axis (mostly kernel layouts): ${kernelTransposes.length}, ${share(kernelTransposes)}; ` +
    `Conv + ConvTranspose: ${share([...byNode.values()].filter((r) => r.op === 'Conv' || r.op === 'ConvTranspose'))}`,
);
console.log('\n| slowest nodes | op | kernel ms per step | output |\n| --- | --- | ---: | --- |');
for (const r of [...byNode.values()].sort((a, b) => b.micros - a.micros).slice(0, Number(values.nodes))) {
  console.log(`| ${r.node} | ${r.op} | ${(r.micros / 1000 / Math.max(1, runs)).toFixed(1)} | ${r.output} |`);
}
console.log(JSON.stringify({ workload: values.workload, ...result, profiledRuns: runs, kernelMicros: total, byOp: rows }));
