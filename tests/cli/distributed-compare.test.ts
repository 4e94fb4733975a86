import { createHash } from 'node:crypto';
import { readdir, readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAVE_REDIS, type RedisServer, startRedis } from './redis-server.js';
import { ROOT, runCli } from './run-cli.js';
import { killWorkers, startWorker, type WorkerProcess } from './worker-process.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const PASSWORD = 's3cret-Pw-17';
const SKIP = !HAVE_REDIS && !process.env.CI;

interface Result {
  arm: string;
  budget: number;
  seed: number;
  accuracy: number;
  loss: number;
  curve: unknown[];
  provenance: string[];
  checkpoint: string;
}

/** sha-256 of a checkpoint's weights (its file also holds timestamps, which differ run to run). */
async function weightsDigest(file: string): Promise<string> {
  const { weights } = await readCheckpoint(file);
  const hash = createHash('sha256');
  for (const [name, tensor] of [...weights].sort(([a], [b]) => a.localeCompare(b)))
    hash.update(name).update(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  return hash.digest('hex');
}

async function results(out: string): Promise<Result[]> {
  return (JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { results: Result[] }).results;
}

/** Every file under `dir`, as bytes. */
async function allFiles(dir: string): Promise<Buffer[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name))));
}

describe.skipIf(SKIP)(
  `compare --queue on a real Redis${SKIP ? ' (skipped: redis-server is not installed; apt-get install redis-server)' : ''}`,
  () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis(PASSWORD);
    });
    afterAll(async () => {
      killWorkers();
      await redis?.stop();
    });

    test('two workers, one killed with SIGKILL mid-run: the same results and bit-identical weights as a local compare, no password anywhere', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'headstart-distributed-'));
      const experiment = join(dir, 'experiment.yaml');
      await writeFile(
        experiment,
        `name: tiny grid
data: ${DIGITS}
scale: 16
source: { labels: [0, 1, 2, 3, 4], options: { epochs: 2 } }
target: { labels: [5, 6, 7, 8, 9], budgets: [10, 20] }
strategies:
  - { strategy: full-retrain, name: scratch, options: { epochs: 25 } }
  - { strategy: frozen-base, options: { epochs: 4 } }
seeds: [1]
`,
      );
      const local = runCli(['compare', experiment, '--out', join(dir, 'local'), '--backend', 'onnx', '--json'], { timeoutMs: 90_000 });
      const store = join(dir, 'store');
      const workerArgs = ['--queue', redis.url, '--store', store, '--checkpoint-every', '3', '--stall-after', '2'];
      const workers = [startWorker(workerArgs), startWorker(workerArgs)];
      let victim: { run: string; worker: WorkerProcess } | undefined;
      // Kill the worker of a long run once it reports epoch 5 (checkpoints every 3 steps: some are in the store).
      const kill = (chunk: string): void => {
        for (const line of chunk.split('\n')) {
          const at = /"message":"(scratch, \d+ labels\/class, seed 1): epoch (\d+)\/25, .*\(worker [^:]+:(\d+)\)"/.exec(line);
          const worker = at && Number(at[2]) >= 5 ? workers.find((w) => w.child.pid === Number(at[3])) : undefined;
          if (!victim && worker) {
            victim = { run: at![1]!, worker };
            worker.child.kill('SIGKILL');
          }
        }
      };
      const distributed = await runCli(
        ['compare', experiment, '--out', join(dir, 'distributed'), '--backend', 'onnx', '--queue', redis.url, '--store', store, '--json'],
        { timeoutMs: 90_000, onStdout: kill },
      );
      expect(distributed.stderr).not.toMatch(/^headstart:/m);
      expect(distributed.code).toBe(0);
      expect((await local).code).toBe(0);

      expect(victim, 'a worker was killed mid-run').toBeDefined();
      expect(await victim!.worker.ended).toEqual({ code: null, signal: 'SIGKILL' });
      const survivor = workers.find((w) => w !== victim!.worker)!;
      expect(survivor.log()).toContain(`${victim!.run}: started again`);
      expect(survivor.log()).toMatch(new RegExp(`${victim!.run}: continuing .* from its resumable checkpoint`));
      expect(distributed.stdout).toContain(`${victim!.run}: its worker was lost; the run goes to another worker`);

      const want = await results(join(dir, 'local'));
      const got = await results(join(dir, 'distributed'));
      expect(distributed.stdout + distributed.stderr).toMatch(
        new RegExp(`report\\.html, report\\.md and results\\.json are in .*distributed/, the checkpoints in ${store}/[^/]+/checkpoints/`),
      );
      expect(got.map(({ checkpoint, ...r }) => ({ ...r, seconds: 0 }))).toEqual(want.map(({ checkpoint, ...r }) => ({ ...r, seconds: 0 })));
      for (const [i, r] of want.entries())
        expect(await weightsDigest(got[i]!.checkpoint), r.checkpoint).toBe(await weightsDigest(r.checkpoint));

      survivor.child.kill('SIGTERM');
      expect(await survivor.ended).toEqual({ code: 130, signal: null });
      const printed = [distributed.stdout, distributed.stderr, ...workers.map((w) => w.log())];
      for (const text of printed) expect(text).not.toContain(PASSWORD);
      for (const bytes of [...(await allFiles(store)), ...(await allFiles(join(dir, 'distributed')))])
        expect(bytes.includes(PASSWORD)).toBe(false);
      expect(distributed.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    }, 120_000);
  },
);
