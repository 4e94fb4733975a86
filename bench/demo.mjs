// `headstart demo` end to end, as a user runs it: the CLI in a child process of its own (pre-training, every
// strategy over every label budget and seed, the report), timed from spawn to exit, with the child's peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../apps/cli/dist/bin.js', import.meta.url).pathname;
const USAGE = new URL('./usage-on-exit.mjs', import.meta.url).href;

/** Peak RSS the demo should stay under. */
export const DEMO_RSS_TARGET_MB = 500;

export async function demoRun(backend) {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-bench-demo-'));
  try {
    const usageFile = join(dir, 'usage.json');
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--import', USAGE, CLI, 'demo', '--out', join(dir, 'report'), '--backend', backend, '--json'],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 2 ** 20,
        env: { ...process.env, HEADSTART_BENCH_USAGE: usageFile },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0)
      throw new Error(
        `headstart demo --backend ${backend} failed (${run.status ?? run.signal}): ${(run.stderr || run.stdout).trim().split('\n').pop()}`,
      );
    const usage = JSON.parse(await readFile(usageFile, 'utf8'));
    const results = JSON.parse(await readFile(join(dir, 'report', 'results.json'), 'utf8'));
    return {
      workload: 'demo',
      backend,
      seconds,
      peakRssMB: usage.maxRSS / 1024,
      rssTargetMB: DEMO_RSS_TARGET_MB,
      trainingRuns: results.results.length,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
