#!/usr/bin/env node
// onnx against PyTorch on one workload, in rounds of back-to-back processes, so each round's figures share the load:
//   node bench/vs-torch-rounds.mjs WORKLOAD [ROUNDS [SECONDS]]
// A round runs PyTorch at 1 and 2 threads, onnx at its own thread choice, and onnx at 1 and 2 intra-op threads
// (HEADSTART_ONNX_THREADS), each in a fresh process; the order rotates from round to round. Prints one JSON line per
// run (with the 1-minute load average when it started) and a table: samples/s by the wall clock and per CPU-second.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { WORKLOADS } from './workloads.mjs';

const [workload, roundsArg = '3', secondsArg = '3'] = process.argv.slice(2);
const w = WORKLOADS[workload];
if (!w) {
  console.error(`usage: node bench/vs-torch-rounds.mjs ${Object.keys(WORKLOADS).join('|')} [ROUNDS [SECONDS]]`);
  process.exit(2);
}
const seconds = Math.max(Number(secondsArg), w.minSeconds ?? 0);
const runMjs = fileURLToPath(new URL('./run.mjs', import.meta.url));
const torchPy = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** The runs of a round: a label, the command and its arguments, extra environment. */
const VARIANTS = [
  [
    'pytorch 1',
    '/usr/bin/python3',
    [torchPy, workload, String(seconds), '1', String(w.batch), String(w.warmup ?? 20)],
    { OPENBLAS_NUM_THREADS: '1' },
  ],
  [
    'pytorch 2',
    '/usr/bin/python3',
    [torchPy, workload, String(seconds), '2', String(w.batch), String(w.warmup ?? 20)],
    { OPENBLAS_NUM_THREADS: '2' },
  ],
  ['onnx default', process.execPath, [runMjs, '--workload', workload, '--backend', 'onnx', '--seconds', String(seconds), '--json'], {}],
  [
    'onnx 1',
    process.execPath,
    [runMjs, '--workload', workload, '--backend', 'onnx', '--seconds', String(seconds), '--json'],
    { HEADSTART_ONNX_THREADS: '1' },
  ],
  [
    'onnx 2',
    process.execPath,
    [runMjs, '--workload', workload, '--backend', 'onnx', '--seconds', String(seconds), '--json'],
    { HEADSTART_ONNX_THREADS: '2' },
  ],
];

function runOne([label, command, args, extra]) {
  const env = { ...process.env, ...extra };
  if (!extra.HEADSTART_ONNX_THREADS) delete env.HEADSTART_ONNX_THREADS;
  // As run.mjs: the machine pins OpenBLAS to an older kernel for numpy's sake; PyTorch runs faster without it.
  if (command !== process.execPath) for (const name of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) delete env[name];
  const load = os.loadavg()[0];
  const run = spawnSync(command, args, { encoding: 'utf8', env });
  if (run.status !== 0) return { label, load, error: (run.stderr || run.stdout).trim().split('\n').pop() };
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  return { label, load, ...result, perCpuSecond: (result.steps * w.batch) / result.cpuSeconds };
}

const results = [];
for (let round = 0; round < Number(roundsArg); round++) {
  const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
  const rows = order.map((variant) => ({ round: round + 1, ...runOne(variant) }));
  for (const row of rows) console.log(JSON.stringify(row));
  results.push(rows);
}

const fmt = (x) => (x === undefined ? '-' : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en'));
const labels = VARIANTS.map(([label]) => label);
console.log(
  `\n| ${workload}: round (load) | ${labels.join(' | ')} | onnx default / best PyTorch, wall (CPU) |\n| --- |${' ---: |'.repeat(labels.length + 1)}`,
);
for (const rows of results) {
  const by = Object.fromEntries(rows.map((r) => [r.label, r]));
  const torch = [by['pytorch 1'], by['pytorch 2']].filter((r) => r && !r.error).sort((a, b) => b.samplesPerSec - a.samplesPerSec)[0];
  const onnx = by['onnx default'];
  const ratio =
    torch && onnx && !onnx.error
      ? `${(onnx.samplesPerSec / torch.samplesPerSec).toFixed(2)}× (${(onnx.perCpuSecond / torch.perCpuSecond).toFixed(2)}×)`
      : '-';
  const cells = labels.map((l) => (by[l]?.error ? 'error' : `${fmt(by[l]?.samplesPerSec)} (${fmt(by[l]?.perCpuSecond)})`));
  const loads = rows.map((r) => r.load);
  console.log(`| ${rows[0].round} (${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}) | ${cells.join(' | ')} | ${ratio} |`);
}
