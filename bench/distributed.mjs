#!/usr/bin/env node
// Wall time of bench/digits-grid.yaml (the demo's 72-run grid) with `headstart compare` here, then through a Redis
// queue with 1, 2 and 4 `headstart worker` processes (issue 19). Needs redis-server (apt-get install redis-server) and
// the built CLI. Usage: node bench/distributed.mjs [--workers 1,2,4] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'apps/cli/dist/bin.js');
const GRID = join(ROOT, 'bench/digits-grid.yaml');
const args = process.argv.slice(2);
const counts = (args[args.indexOf('--workers') + 1] && args.includes('--workers') ? args[args.indexOf('--workers') + 1] : '1,2,4')
  .split(',')
  .map(Number);
const json = args.includes('--json');

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'headstart-bench-distributed-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
  stdio: 'ignore',
});
await new Promise((r) => setTimeout(r, 500));
const url = `redis://127.0.0.1:${port}`;

/** Run the CLI to its end; resolve with its wall time in seconds. */
function timed(argv) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) =>
      code === 0 ? resolve((Date.now() - started) / 1000) : reject(new Error(`exit ${code}: ${argv.join(' ')}`)),
    );
  });
}

const rows = [];
try {
  rows.push({ workers: 'local', seconds: await timed(['compare', GRID, '--out', join(dir, 'local'), '--backend', 'onnx']) });
  for (const n of counts) {
    const store = join(dir, `store-${n}`);
    const workers = Array.from({ length: n }, () =>
      spawn(process.execPath, [CLI, 'worker', '--queue', url, '--store', store], { stdio: 'ignore' }),
    );
    // Workers are started before the coordinator, as on a cluster; their start-up is not timed.
    await new Promise((r) => setTimeout(r, 3000));
    rows.push({
      workers: n,
      seconds: await timed(['compare', GRID, '--out', join(dir, `out-${n}`), '--backend', 'onnx', '--queue', url, '--store', store]),
    });
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => w.on('close', r))));
  }
} finally {
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
for (const row of rows) console.log(json ? JSON.stringify(row) : `${String(row.workers).padEnd(6)} ${row.seconds.toFixed(1)} s`);
