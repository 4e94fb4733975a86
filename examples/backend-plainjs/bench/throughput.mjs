#!/usr/bin/env node
// Training throughput of plainjs on the repository's bench workloads (bench/workloads.mjs: `mlp` =
// 64-256-256-10 ReLU, `cnn` = 28×28×1 two-conv net; batch 64, Adam), measured the way bench/run.mjs
// measures the built-in backends: samples/s over ~3 s of steps after 20 warm-up steps.
//   node examples/backend-plainjs/bench/throughput.mjs [mlp|cnn] [seconds]      (after `npm run build`)
import { measure } from '../../../bench/train-throughput.mjs';
import { WORKLOADS } from '../../../bench/workloads.mjs';
import { createPlainJsBackend } from '../dist/base.js';

const [workload = 'mlp', seconds = '3'] = process.argv.slice(2);
const result = await measure(createPlainJsBackend(), WORKLOADS[workload], { seconds: Number(seconds) });
console.log(JSON.stringify({ workload, backend: 'plainjs', ...result, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
