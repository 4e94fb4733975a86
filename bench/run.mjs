#!/usr/bin/env node
// headstart benchmarks (`npm run bench`; not part of `npm test`).
//   node bench/run.mjs --workload mlp|cnn|resnet18|mobilenet_v2|transformer --backend onnx|tfjs [--seconds S] [--json]
//                                                                                      one measurement, one JSON line
//   node bench/run.mjs --workload fit-overhead --backend tfjs [--engine cpu|wasm]      headstart's tfjs trainer vs plain model.fit
//                                                                                      (--engine forces a tfjs engine: HEADSTART_TFJS_ENGINE)
//   node bench/run.mjs --workload demo --backend onnx|tfjs [--json]                    `headstart demo` end to end in a child:
//                                                                                      wall time and its peak RSS (target ≤ 500 MB)
//   node bench/run.mjs --workload frozen-base --backend onnx|tfjs [--base digits-cnn|resnet18]
//                                                                                      cached features vs through the frozen base
//   node bench/run.mjs --workload mlp-peak --backend onnx [--batch B] [--rounds R] [--json]  the 1024³ Gemm's GFLOP/s at the MLP
//                                                                                      session's threads vs the mlp workload's in steady
//                                                                                      state, in alternated rounds (and a fresh trainer's)
//   node bench/run.mjs --workload gemm-peak --backend onnx [--json]                    plain Gemms at 1 and 2 threads (GFLOP/s)
//   node bench/run.mjs --workload lora --backend onnx|tfjs --variant full|lora|lora-ffn [--json]  the transformer encoder fine-tuned
//                                in full or with LoRA (on q and v, or on the FFN): step time, trainable share, optimizer state
//   node bench/run.mjs --only resnet18,mobilenet_v2                                    the throughput rows of those workloads alone
//   node bench/run.mjs [--seconds S]                                                   every workload × backend (+ PyTorch when
//                                                                                      /usr/bin/python3 imports torch), each in its own
//                                                                                      process, as a table with ratios and JSON lines
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WORKLOADS } from './workloads.mjs';

const { values } = parseArgs({
  options: {
    workload: { type: 'string' },
    backend: { type: 'string' },
    engine: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    json: { type: 'boolean' },
    only: { type: 'string' },
    base: { type: 'string', default: 'digits-cnn' },
    batch: { type: 'string' },
    variant: { type: 'string', default: 'lora' },
    rounds: { type: 'string', default: '3' },
  },
});
// The tfjs backend reads its engine override at start; set it before anything imports the backend.
if (values.engine) process.env.HEADSTART_TFJS_ENGINE = values.engine;
const seconds = Number(values.seconds);

async function backendNamed(name) {
  const backend =
    name === 'onnx'
      ? (await import('@headstart/backend-onnx')).createOnnxBackend()
      : (await import('@headstart/backend-tfjs')).createTfjsBackend();
  const availability = await backend.probe();
  if (!availability.available) throw new Error(`${name} is not available: ${availability.reasons.join('; ')}`);
  return backend;
}

async function one(workload, backendName) {
  if (workload === 'demo') {
    // The demo's own process, not this one: its peak RSS is the child's.
    const { demoRun } = await import('./demo.mjs');
    return demoRun(backendName);
  }
  if (workload === 'fit-overhead') {
    const { fitOverhead } = await import('./fit-overhead.mjs');
    return { ...(await fitOverhead()), backend: backendName, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  if (workload === 'frozen-base') {
    const { frozenBaseSpeed } = await import('./frozen-base.mjs');
    const result = await frozenBaseSpeed(await backendNamed(backendName), { base: values.base });
    return { ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  if (workload === 'mlp-peak') {
    const { mlpVsPeak } = await import('./mlp-peak.mjs');
    const { mlp } = await import('./workloads.mjs');
    // --batch: the same MLP at another batch size (the workload's is 64), to see what is per step and what per sample.
    const workload = values.batch ? { ...mlp, batch: Number(values.batch) } : mlp;
    return {
      ...(await mlpVsPeak(await backendNamed(backendName), { seconds, workload, rounds: Number(values.rounds) })),
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
  }
  if (workload === 'lora') {
    const { loraEncoderSpeed } = await import('./lora-encoder.mjs');
    const result = await loraEncoderSpeed(await backendNamed(backendName), values.variant, { seconds: Math.max(seconds, 5) });
    return { ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  if (workload === 'gemm-peak') {
    const { gemmPeaks } = await import('./gemm-peak.mjs');
    const { mlp } = await import('./workloads.mjs');
    return { workload, backend: backendName, peaks: await gemmPeaks({ name: 'mlp', ...mlp }) };
  }
  const { measure } = await import('./train-throughput.mjs');
  const result = await measure(await backendNamed(backendName), WORKLOADS[workload], { seconds });
  return { workload, backend: backendName, ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

function child(args, command = process.execPath) {
  const env = { ...process.env };
  // This machine pins OpenBLAS to an older kernel for numpy's sake; PyTorch runs faster without it.
  if (command !== process.execPath) for (const name of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) delete env[name];
  // PyTorch's dense layers call BLAS: with OpenBLAS, its threads as many as PyTorch's (the THREADS argument).
  if (command !== process.execPath && args[3]) env.OPENBLAS_NUM_THREADS = args[3];
  const run = spawnSync(command, args, { encoding: 'utf8', env });
  if (run.status !== 0) return { error: (run.stderr || run.stdout).trim().split('\n').pop() };
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function bestOf(results) {
  return results.filter((r) => !r.error).sort((a, b) => b.samplesPerSec - a.samplesPerSec)[0] ?? results[0];
}

function torchAvailable() {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function all() {
  const self = fileURLToPath(import.meta.url);
  const torch = torchAvailable();
  const rows = [];
  const only = values.only?.split(',');
  for (const name of only ?? [])
    if (!WORKLOADS[name]) throw new Error(`--only: no workload "${name}"; known: ${Object.keys(WORKLOADS).join(', ')}`);
  for (const workload of only ?? Object.keys(WORKLOADS)) {
    // Interleave the runs so machine noise spreads over every backend alike.
    // PyTorch at its best here: one thread and all cores, the faster counts.
    const reference = torch
      ? bestOf(
          [1, os.cpus().length].map((threads) =>
            child(
              [
                fileURLToPath(new URL('./torch_bench.py', import.meta.url)),
                workload,
                String(Math.max(seconds, WORKLOADS[workload].minSeconds ?? 0)),
                String(threads),
                String(WORKLOADS[workload].batch),
                String(WORKLOADS[workload].warmup ?? 20),
              ],
              '/usr/bin/python3',
            ),
          ),
        )
      : undefined;
    // tfjs picks wasm for the MLP and cpu for the CNN; the MLP also runs forced onto cpu, for wasm vs cpu.
    const runs = [['onnx'], ['tfjs'], ...(workload === 'mlp' ? [['tfjs', 'cpu']] : [])];
    for (const [backend, engine] of runs) {
      const result = child([
        self,
        '--workload',
        workload,
        '--backend',
        backend,
        ...(engine ? ['--engine', engine] : []),
        '--seconds',
        String(seconds),
        '--json',
      ]);
      const ratio = reference && !reference.error && result.samplesPerSec ? result.samplesPerSec / reference.samplesPerSec : undefined;
      rows.push({ workload, backend, ...result, ...(ratio ? { vsPytorch: ratio } : {}) });
    }
    if (reference) rows.push({ workload, ...reference });
  }
  // --only: the throughput table of those workloads alone.
  const sections = !only;
  // The digits CNN on both backends; the ResNet-18 base on onnx (through it, a tfjs epoch of 512 images takes minutes).
  const frozen = (
    sections
      ? [
          ['onnx', 'digits-cnn'],
          ['tfjs', 'digits-cnn'],
          ['onnx', 'resnet18'],
        ]
      : []
  ).map(([backend, base]) => ({
    backend,
    base,
    ...child([self, '--workload', 'frozen-base', '--backend', backend, '--base', base, '--json']),
  }));
  // The encoder fine-tuned in full and with LoRA, each in its own process (its own peak RSS), on onnx (also with
  // --only transformer).
  const loras = (sections || only.includes('transformer') ? ['full', 'lora', 'lora-ffn'] : []).map((variant) =>
    child([self, '--workload', 'lora', '--backend', 'onnx', '--variant', variant, '--seconds', String(seconds), '--json']),
  );
  const peak = sections ? child([self, '--workload', 'mlp-peak', '--backend', 'onnx', '--seconds', String(seconds), '--json']) : undefined;
  const overhead = (sections ? ['wasm', 'cpu'] : []).map((engine) =>
    child([self, '--workload', 'fit-overhead', '--backend', 'tfjs', '--engine', engine, '--json']),
  );
  const demos = (sections ? ['onnx', 'tfjs'] : []).map((backend) => ({
    backend,
    ...child([self, '--workload', 'demo', '--backend', backend, '--json']),
  }));
  for (const row of [...rows, ...loras, ...(peak ? [peak] : []), ...frozen, ...overhead, ...demos]) console.log(JSON.stringify(row));
  console.log(
    '\n| workload | backend | engine | samples/s | vs PyTorch | samples per CPU-s | peak RSS MB | parameters |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of rows) {
    // By CPU time too: on a shared machine wall time is often mostly waiting for a core.
    const perCpu = r.steps && r.cpuSeconds ? (r.steps * WORKLOADS[r.workload].batch) / r.cpuSeconds : undefined;
    console.log(
      `| ${r.workload} | ${r.backend ?? 'pytorch'} | ${r.engine ?? r.error ?? ''} | ${r.samplesPerSec ? (r.samplesPerSec < 10 ? r.samplesPerSec.toPrecision(2) : Math.round(r.samplesPerSec).toLocaleString('en')) : '-'} | ${r.vsPytorch ? `${r.vsPytorch < 0.01 ? r.vsPytorch.toPrecision(2) : r.vsPytorch.toFixed(2)}×` : '-'} | ${perCpu ? (perCpu < 10 ? perCpu.toPrecision(2) : Math.round(perCpu).toLocaleString('en')) : '-'} | ${r.peakRssMB ? Math.round(r.peakRssMB) : '-'} | ${r.parameters ? r.parameters.toLocaleString('en') : '-'} |`,
    );
  }
  // The headstart spec must be PyTorch's network: same trainable parameter count (torch counts model.parameters()).
  for (const workload of Object.keys(WORKLOADS)) {
    const counts = new Set(rows.filter((r) => r.workload === workload && r.parameters).map((r) => r.parameters));
    if (counts.size > 1) console.log(`\nparameter counts differ on ${workload}: ${[...counts].join(' vs ')}`);
  }
  if (loras.length > 0) printLora(loras);
  if (peak) printPeak(peak);
  if (sections)
    console.log(
      '\n| frozen-base | base | samples | through the base, s/epoch (CPU s) | cached features, s/epoch (CPU s) | speed-up per epoch | computing the cache, s (CPU s) | total through / cached |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
  for (const f of frozen) {
    console.log(
      f.error
        ? `| ${f.backend} | ${f.base} | ${f.error} | | | | | |`
        : `| ${f.backend} (${f.engine}) | ${f.base} | ${f.samples} | ${f.throughBaseSecPerEpoch.toFixed(3)} (${f.throughBaseCpuSecPerEpoch.toFixed(3)}) | ${f.cachedSecPerEpoch.toFixed(4)} (${f.cachedCpuSecPerEpoch.toFixed(4)}) | ${f.speedupPerEpoch.toFixed(1)}× | ${f.cacheSeconds.toFixed(2)} (${f.cacheCpuSeconds.toFixed(2)}) | ${f.throughBaseTotal.toFixed(1)} s / ${f.cachedTotal.toFixed(1)} s |`,
    );
  }
  if (sections)
    console.log(
      '\n| tfjs overhead over plain model.fit (mlp, 4,096 samples, batch 64, Adam) | model.fit s/epoch | trainer s/epoch | core fit s/epoch | trainer / fit | core fit / fit |\n| --- | ---: | ---: | ---: | ---: | ---: |',
    );
  for (const o of overhead) {
    console.log(
      o.error
        ? `| ${o.error} | | | | | |`
        : `| ${o.engine} | ${o.plainSecPerEpoch.toFixed(3)} | ${o.trainerSecPerEpoch.toFixed(3)} | ${o.fitSecPerEpoch.toFixed(3)} | ${o.trainerOverPlain.toFixed(2)} | ${o.fitOverPlain.toFixed(2)} |`,
    );
  }
  if (sections)
    console.log(
      '\n| headstart demo, end to end | wall time s | CPU s | peak RSS MB (target ≤ 500) | training runs |\n| --- | ---: | ---: | ---: | ---: |',
    );
  for (const d of demos) {
    console.log(
      d.error
        ? `| ${d.backend} | ${d.error} | | | |`
        : `| ${d.backend} | ${d.seconds.toFixed(1)} | ${d.cpuSeconds.toFixed(1)} | ${Math.round(d.peakRssMB)} | ${d.trainingRuns} |`,
    );
  }
  if (!torch) console.log('\n(PyTorch not importable by /usr/bin/python3 — `apt-get install python3-torch` adds the reference column.)');
}

/** Full fine-tuning vs LoRA on the transformer encoder: step time, what trains, Adam's state, peak RSS. */
function printLora(runs) {
  console.log(
    '\n| transformer fine-tuning (onnx) | step ms (median) | CPU ms per step | trainable | of parameters | optimizer state MB | peak RSS MB |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of runs)
    console.log(
      r.error
        ? `| ${r.error} | | | | | | |`
        : `| ${r.variant === 'full' ? 'full' : `LoRA rank ${r.rank} on ${r.variant === 'lora' ? `the q, v projections of ${r.targets.length / 2} attention layers` : `${r.targets.length} dense layers`} + head`} | ${r.stepMs.toFixed(0)} | ${r.cpuMsPerStep.toFixed(0)} | ${r.trainable.toLocaleString('en')} | ${(100 * r.trainableFraction).toFixed(2)} % | ${(r.optimizerStateBytes / 2 ** 20).toFixed(2)} | ${Math.round(r.peakRssMB)} |`,
    );
}

/** The MLP against the Gemm peak: warm-up, every round (by wall and by CPU time), the best of each side, the fresh trainer. */
function printPeak(p) {
  if (p.error) return console.log(`\nmlp vs Gemm peak: ${p.error}`);
  const pct = (x) => `${(100 * x).toFixed(0)} %`;
  const side = (m) =>
    `${Math.round(m.samplesPerSec).toLocaleString('en')} | ${m.gflops.toFixed(1)} (${m.perCpuSecondGflops.toFixed(1)}) | ${Math.round(m.cpuUsPerStep)} | ${pct(m.ratio)} (${pct(m.ratioByCpu)})`;
  for (const [kind, w] of Object.entries(p.warmup))
    console.log(
      `warm-up by ${kind}: ${w.settled ? 'settled' : 'NOT settled'} after ${w.steps} steps, ${w.seconds.toFixed(1)} s; first block ${w.first.msPerStep.toFixed(2)} ms a step (CPU ${w.first.cpuMsPerStep.toFixed(2)}, ${w.first.faultsPerStep.toFixed(1)} page faults), last ${w.last.msPerStep.toFixed(2)} (CPU ${w.last.cpuMsPerStep.toFixed(2)}, ${w.last.faultsPerStep.toFixed(1)})`,
    );
  console.log(
    `\n| mlp (batch ${p.batch}) vs this machine's Gemm peak (${p.threads} thread${p.threads > 1 ? 's' : ''}, ${(p.flopsPerSample / 1e3).toFixed(0)} kFLOP per sample), steady state | 1024³ Gemm (first row fetched): GFLOP/s (per CPU-s) | Y fetched whole | step: samples/s | GFLOP/s (per CPU-s) | CPU µs a step | / peak (by CPU) | stepMany: samples/s | GFLOP/s (per CPU-s) | CPU µs a step | / peak (by CPU) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  );
  for (const [i, r] of p.rounds.entries())
    console.log(
      `| round ${i + 1} | ${r.peakGflops.toFixed(1)} (${r.peakPerCpuSecondGflops.toFixed(1)}) | ${r.wholeOutputPeakGflops.toFixed(1)} (${r.wholeOutputPeakPerCpuSecondGflops.toFixed(1)}) | ${side(r.step)} | ${side(r.stepMany)} |`,
    );
  const best = (s) =>
    `${s.gflops.toFixed(1)} | | **${pct(s.ratio)}** (by CPU ${pct(s.ratioByCpu)}); rounds ≥ 70 %: ${s.roundsAt70} (by CPU ${s.roundsAt70ByCpu}) of ${p.rounds.length}`;
  console.log(
    `| best of each | ${p.peakGflops.toFixed(1)} (${p.peakPerCpuSecondGflops.toFixed(1)}) | | | ${best(p.step)} | | ${best(p.stepMany)} |`,
  );
  console.log(
    `| fresh trainer in a fresh process (cold), timed as the mlp row | | | ${Math.round(p.fresh.samplesPerSec).toLocaleString('en')} | ${p.fresh.gflops.toFixed(1)} (${p.fresh.perCpuSecondGflops.toFixed(1)}) | | ${pct(p.fresh.ratio)} (${pct(p.fresh.ratioByCpu)}) | | | | |`,
  );
  const whole = (s) => `${s.roundsAt70ToWholeOutput} (by CPU ${s.roundsAt70ToWholeOutputByCpu})`;
  console.log(
    `\nRounds ≥ 70 % of the peak with Y fetched whole (as measured before): step ${whole(p.step)}, stepMany ${whole(p.stepMany)} of ${p.rounds.length}`,
  );
  console.log(
    `The step's 8 Gemms alone, per round: ${p.rounds.map((r) => `${r.gemmsAloneGflops.toFixed(1)} GFLOP/s (${r.gemmsAlonePerCpuSecondGflops.toFixed(1)} per CPU-s, ${Math.round(r.gemmsAloneCpuUsPerStep)} CPU µs a step)`).join('; ')}`,
  );
}

/** Plain Gemms' GFLOP/s: best round, median round, best by CPU time. */
function printGemms(g) {
  console.log('\n| Gemm (onnxruntime-node) | threads | best GFLOP/s | median | per CPU-second |\n| --- | ---: | ---: | ---: | ---: |');
  for (const r of g.peaks)
    console.log(
      `| ${r.shape} | ${r.threads} | ${r.gflops.toFixed(1)} | ${r.medianGflops.toFixed(1)} | ${r.perCpuSecondGflops.toFixed(1)} |`,
    );
}

if (values.workload || values.backend) {
  const tfjsOnly = values.workload === 'fit-overhead';
  const onnxOnly = values.workload === 'mlp-peak' || values.workload === 'gemm-peak';
  if (
    !(WORKLOADS[values.workload] || ['frozen-base', 'demo', 'lora'].includes(values.workload) || tfjsOnly || onnxOnly) ||
    !(tfjsOnly ? ['tfjs'] : onnxOnly ? ['onnx'] : ['onnx', 'tfjs']).includes(values.backend)
  ) {
    console.error(
      'usage: node bench/run.mjs --workload mlp|cnn|resnet18|mobilenet_v2|transformer|lora|frozen-base|fit-overhead|demo|mlp-peak|gemm-peak --backend onnx|tfjs [--base digits-cnn|resnet18] [--variant full|lora] [--engine cpu|wasm] [--seconds S] [--rounds R] [--json]',
    );
    process.exit(2);
  }
  try {
    const result = await one(values.workload, values.backend);
    if (values.json) console.log(JSON.stringify(result));
    else if (values.workload === 'mlp-peak') printPeak(result);
    else if (values.workload === 'gemm-peak') printGemms(result);
    else console.log(result);
  } catch (error) {
    // One line, the last of stderr: what the table shows for this run (e.g. a backend that cannot train graphs yet).
    console.error(`${values.workload} on ${values.backend}: ${error.message.split('\n')[0]}`);
    process.exit(1);
  }
} else {
  await all();
}
